import HTTPTypes
import Hummingbird
import TrustTradeDTO

/// A failure that knows how it looks to a client. A domain or store failure
/// conforms once (status, code, message, details in `apiError`), handlers let
/// it propagate (`try await store.x()`), and the error middleware renders it
/// in the seed's envelope.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

/// An error a handler throws on purpose: a status, a code and a message a
/// person can read. The error middleware turns it into the seed's envelope.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: ErrorCode
    public var message: String
    public var details: [FieldError]?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: ErrorCode, message: String,
        details: [FieldError]? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func badRequest(_ message: String, code: ErrorCode = .badRequest) -> APIError {
        APIError(.badRequest, code: code, message: message)
    }
    public static func validation(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: .validation, message: message, details: [FieldError(field: field, message: message)])
    }
    public static func unauthorized(_ message: String = "Authentication required", code: ErrorCode = .unauthorized) -> APIError {
        APIError(.unauthorized, code: code, message: message, headers: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ message: String = "You may not do this") -> APIError {
        APIError(.forbidden, code: .forbidden, message: message)
    }
    public static func notFound(_ message: String = "Not found") -> APIError {
        APIError(.notFound, code: .notFound, message: message)
    }
    public static func conflict(_ message: String, code: ErrorCode = .conflict) -> APIError {
        APIError(.conflict, code: code, message: message)
    }
    public static func tooManyRequests(retryAfterSeconds: Int, message: String = "Too many requests; try again later") -> APIError {
        APIError(
            .tooManyRequests, code: .rateLimited, message: message,
            headers: [.retryAfter: String(max(1, retryAfterSeconds))]
        )
    }
    public static func unavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, code: .serviceUnavailable, message: message)
    }

    /// The generic code for a status, used when an error carries none.
    public static func code(for status: HTTPResponse.Status) -> ErrorCode {
        switch status.code {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 408: .requestTimeout
        case 409: .conflict
        case 413: .payloadTooLarge
        case 415: .unsupportedMediaType
        case 422: .unprocessable
        case 429: .rateLimited
        case 431: .headersTooLarge
        case 501: .notImplemented
        case 502: .badGateway
        case 503: .serviceUnavailable
        case 504: .gatewayTimeout
        default: status.code >= 500 ? .internalError : .badRequest
        }
    }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}

extension ValidationFailure: APIErrorConvertible {
    public var apiError: APIError {
        APIError(.badRequest, code: .validation, message: message, details: fields)
    }
}
