import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TrustTradeDTO

extension HTTPField.Name {
    public static let requestID = Self("X-Request-ID")!
    public static let serviceToken = Self("X-Service-Token")!
    public static let forwardedFor = Self("X-Forwarded-For")!
    public static let forwardedProto = Self("X-Forwarded-Proto")!
    public static let forwardedHost = Self("X-Forwarded-Host")!
    /// The client's address as the gateway decided it (from the socket, or
    /// from our own proxies' X-Forwarded-For); the gateway drops any a
    /// client sends.
    public static let clientIP = Self("X-Client-IP")!
    /// The identity the gateway verified, for upstream logs and metrics.
    /// Services still verify the bearer token themselves.
    public static let userID = Self("X-User-Id")!
    public static let userType = Self("X-User-Type")!
    public static let sessionID = Self("X-Session-Id")!
}

/// Takes the client's `X-Request-ID` (when it looks sane) or makes one, puts it
/// in the logger's metadata so every line logged for this request carries it,
/// returns it on the response, and logs one access line per request.
public struct RequestIDMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = Self.acceptable(request.headers[.requestID]) ?? "req-\(UUID().uuidString.lowercased())"
        context.requestId = id
        context.logger[metadataKey: "requestId"] = .string(id)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.requestID] = id
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info(
            "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: ["durationMs": .string(String(format: "%.1f", ms))]
        )
        return response
    }

    /// Client ids are echoed into logs and headers: keep them short and printable.
    static func acceptable(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        else { return nil }
        return value
    }
}

/// A NUL character (`%00`) in the path or query is a 400 before any handler:
/// PostgreSQL keeps none in text, so such a value could only fail a query
/// (bodies are checked where JSON is decoded).
public struct NULRefusalMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.description.contains("%00") {
            throw APIError(.badRequest, code: .validation, message: "The address must not contain the NUL character (%00)")
        }
        return try await next(request, context)
    }
}

/// Turns every error into the seed's error envelope with the right status, so
/// a client never sees a bare body, and bad input never becomes a 500.
public struct ErrorEnvelopeMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            return response
        } catch {
            let apiError = Self.apiError(for: error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
            } else {
                context.logger.debug("request refused", metadata: ["error": .string(apiError.description)])
            }
            let body = ErrorEnvelope(
                error: ErrorBody(code: apiError.code, message: apiError.message, details: apiError.details),
                meta: ResponseMeta(requestId: context.requestId)
            )
            return try jsonResponse(body, status: apiError.status, headers: apiError.headers)
        }
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let e as any APIErrorConvertible:
            return e.apiError
        case let e as DecodingError:
            return APIError.from(e)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: .payloadTooLarge, message: "The request body is too large")
        case let e as HTTPError:
            let message: String = switch e.status.code {
            case 404: "No such route"
            case 405: "Method not allowed on this route"
            default: e.body ?? e.status.reasonPhrase
            }
            return APIError(e.status, code: APIError.code(for: e.status), message: message, headers: e.headers)
        case let e as any HTTPResponseError:
            return APIError(e.status, code: APIError.code(for: e.status), message: e.status.reasonPhrase)
        default:
            return APIError(.internalServerError, code: .internalError, message: "Something went wrong on our side")
        }
    }
}
