/// CORS for the seed's web origins (6.2). Preflights are answered by the
/// gateway without authentication or rate limits; answers to an allowed
/// origin carry the headers a browser needs to read them (also refusals).
public struct CORSPolicy: Sendable {
    public let allowedOrigins: Set<String>
    static let allowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    static let allowHeaders = "Authorization, Content-Type, Accept, X-Request-ID, X-Device-ID, X-API-Version, Idempotency-Key"
    static let exposeHeaders = "X-Request-ID, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-RateLimit-Limit-Minute, X-RateLimit-Remaining-Minute"

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    public func allows(_ origin: String) -> Bool {
        allowedOrigins.contains(origin) || allowedOrigins.contains("*")
    }

    /// `Access-Control-Allow-Origin` and, for a listed origin only,
    /// `Allow-Credentials`. An origin let in by `*` gets `*` and no
    /// credentials: echoing any origin with credentials would let every
    /// web page read answers made with its visitor's cookies or tokens.
    func originHeaders(_ origin: String) -> [(String, String)] {
        if allowedOrigins.contains(origin) {
            return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
        }
        return [("Access-Control-Allow-Origin", "*")]
    }

    public enum Preflight: Equatable {
        case allowed([(String, String)])
        case refused

        public static func == (a: Preflight, b: Preflight) -> Bool {
            switch (a, b) {
            case (.refused, .refused): true
            case (.allowed(let x), .allowed(let y)): x.elementsEqual(y, by: { $0 == $1 })
            default: false
            }
        }
    }

    /// The answer to `OPTIONS` with `Access-Control-Request-Method`.
    public func preflight(origin: String) -> Preflight {
        guard allows(origin) else { return .refused }
        return .allowed(originHeaders(origin) + [
            ("Access-Control-Allow-Methods", Self.allowMethods),
            ("Access-Control-Allow-Headers", Self.allowHeaders),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
        ])
    }

    /// Headers added to any other answer for `origin` (none if not allowed).
    public func responseHeaders(origin: String?) -> [(String, String)] {
        guard let origin, allows(origin) else { return [] }
        return originHeaders(origin) + [
            ("Access-Control-Expose-Headers", Self.exposeHeaders),
            ("Vary", "Origin"),
        ]
    }
}
