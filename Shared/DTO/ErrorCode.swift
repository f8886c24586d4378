/// Machine-readable error codes. Clients branch on these, never on messages.
public struct ErrorCode: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public init(from decoder: Decoder) throws { self.rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public var description: String { rawValue }

    // Generic, one per HTTP status class the API uses.
    public static let validation: ErrorCode = "VALIDATION_ERROR"
    public static let badRequest: ErrorCode = "BAD_REQUEST"
    public static let unauthorized: ErrorCode = "UNAUTHORIZED"
    public static let forbidden: ErrorCode = "FORBIDDEN"
    public static let notFound: ErrorCode = "NOT_FOUND"
    public static let methodNotAllowed: ErrorCode = "METHOD_NOT_ALLOWED"
    public static let requestTimeout: ErrorCode = "REQUEST_TIMEOUT"
    public static let conflict: ErrorCode = "CONFLICT"
    public static let payloadTooLarge: ErrorCode = "PAYLOAD_TOO_LARGE"
    public static let unsupportedMediaType: ErrorCode = "UNSUPPORTED_MEDIA_TYPE"
    public static let unprocessable: ErrorCode = "UNPROCESSABLE_ENTITY"
    public static let headersTooLarge: ErrorCode = "HEADERS_TOO_LARGE"
    public static let rateLimited: ErrorCode = "RATE_LIMITED"
    public static let internalError: ErrorCode = "INTERNAL_ERROR"
    public static let notImplemented: ErrorCode = "NOT_IMPLEMENTED"
    public static let badGateway: ErrorCode = "BAD_GATEWAY"
    public static let serviceUnavailable: ErrorCode = "SERVICE_UNAVAILABLE"
    public static let gatewayTimeout: ErrorCode = "GATEWAY_TIMEOUT"

    // Auth.
    public static let emailTaken: ErrorCode = "EMAIL_TAKEN"
    public static let invalidCredentials: ErrorCode = "INVALID_CREDENTIALS"
    public static let tokenExpired: ErrorCode = "TOKEN_EXPIRED"
    public static let tokenInvalid: ErrorCode = "TOKEN_INVALID"
    public static let sessionRevoked: ErrorCode = "SESSION_REVOKED"
    public static let refreshTokenReused: ErrorCode = "REFRESH_TOKEN_REUSED"
    public static let accountSuspended: ErrorCode = "ACCOUNT_SUSPENDED"
    public static let oauthFailed: ErrorCode = "OAUTH_FAILED"
}
