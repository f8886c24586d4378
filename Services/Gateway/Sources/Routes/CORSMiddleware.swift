import HTTPTypes
import Hummingbird
import ServiceKit

/// CORS for the seed's web origins (6.2): preflights are answered here,
/// without authentication or rate limits; other requests from an allowed
/// origin get the headers a browser needs to read the answer.
public struct GatewayCORSMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    let allowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    let allowHeaders = "Authorization, Content-Type, Accept, X-Request-ID, X-Device-ID, X-API-Version, Idempotency-Key"
    let exposeHeaders = "X-Request-ID, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-RateLimit-Limit-Minute, X-RateLimit-Remaining-Minute"
    let maxAge = "600"

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = allowedOrigins.contains(origin) || allowedOrigins.contains("*")
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else { throw APIError.forbidden("Origin \(origin) may not call this API") }
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: origin,
                .accessControlAllowMethods: allowMethods,
                .accessControlAllowHeaders: allowHeaders,
                .accessControlAllowCredentials: "true",
                .accessControlMaxAge: maxAge,
                .vary: "Origin",
            ])
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch var error as APIError where allowed {
            // Browsers hide refusals (401, 429) from scripts without these.
            error.headers[.accessControlAllowOrigin] = origin
            error.headers[.accessControlExposeHeaders] = exposeHeaders
            error.headers[.vary] = "Origin"
            throw error
        }
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.accessControlExposeHeaders] = exposeHeaders
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
