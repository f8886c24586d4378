import Foundation
import HTTPTypes
import NIOHTTP1
import ServiceKit
import TrustTradeDTO

/// Everything decided about a request before it may go upstream: where it
/// goes, who is calling (token + session), and whether the rate limit lets it.
/// Refusals are `APIError`s, answered in the error envelope.
public struct Gatekeeper: Sendable {
    let config: GatewayConfig
    let verifier: TokenVerifier
    let limiter: RateLimiter

    public init(config: GatewayConfig, verifier: TokenVerifier, limiter: RateLimiter) {
        self.config = config
        self.verifier = verifier
        self.limiter = limiter
    }

    public struct Admission: Sendable {
        public var identity: Identity?
        /// `RateLimit-*` (and Kong's) headers for the answer, whatever it is.
        public var rateHeaders: [(String, String)]
    }

    /// Where the path goes, or a 404/400. Synchronous: no I/O.
    public func route(method: HTTPMethod, path: String) throws(APIError) -> RouteDecision {
        // Never guess a method: a public GET pattern must not admit something else.
        guard let method = HTTPRequest.Method(method.rawValue) else {
            throw APIError.badRequest("The request method is not valid")
        }
        switch config.routes.route(method: method, path: path) {
        case .success(let decision): return decision
        case .failure(.notFound): throw APIError.notFound("No such route")
        case .failure(.ambiguousPath): throw APIError.badRequest("The path has dot segments, empty segments or encoded separators")
        }
    }

    public func maxBody(for route: RouteDecision) -> Int {
        config.bodyLimits[route.routeClass] ?? (1 << 20)
    }

    /// Token, session and rate limit; the session check and the count are one
    /// Redis script call.
    public func admit(route: RouteDecision, authorization: String?, clientIP: String) async throws(APIError) -> Admission {
        let identity = try await authenticate(authorization, route: route, clientIP: clientIP)
        let policy = config.limits[route.routeClass]
        let subject = Self.rateLimitSubject(route: route, identity: identity, clientIP: clientIP)
        let admission = await limiter.admit(
            subject: subject, routeClass: route.routeClass, policy: policy,
            sessionId: route.isPublic ? nil : identity?.sessionId)
        let rateHeaders = admission.decision.map { Self.rateLimitHeaders($0, windowSeconds: policy?.windowSeconds ?? 60) } ?? []
        switch admission.outcome {
        case .admitted:
            // Public routes get no identity headers: their session was not checked.
            return Admission(identity: route.isPublic ? nil : identity, rateHeaders: rateHeaders)
        case .sessionEnded:
            throw APIError.unauthorized("Session has ended; sign in again", code: .sessionRevoked)
        case .rateLimited:
            var error = APIError.tooManyRequests(retryAfterSeconds: admission.decision?.retryAfterSeconds ?? 1)
            for (name, value) in rateHeaders { error.headers[.init(name)!] = value }
            throw error
        case .unavailable:
            throw APIError.unavailable("The gateway cannot check limits and sessions right now; try again shortly")
        }
    }

    /// Whose bucket a request counts in. Credentials, webhooks and public
    /// routes count per address: otherwise one valid token would buy a
    /// fresh bucket of logins, registrations or password-reset mails, and
    /// every account a sock puppet makes another. Signed-in work counts per
    /// person (many people may share one address behind a carrier NAT).
    static func rateLimitSubject(route: RouteDecision, identity: Identity?, clientIP: String) -> String {
        switch route.routeClass {
        case .auth, .webhook:
            return "ip:\(clientIP)"
        case .search, .general, .upload:
            guard !route.isPublic, let identity else { return "ip:\(clientIP)" }
            return "user:\(identity.userId.uuidString.lowercased())"
        }
    }

    /// A valid token identifies the caller. Protected routes need one; on a
    /// public route a bad token is ignored (the service decides). Failed
    /// attempts count against the caller's address, so nobody can make us
    /// verify forged signatures without limit.
    private func authenticate(_ header: String?, route: RouteDecision, clientIP: String) async throws(APIError) -> Identity? {
        do {
            guard let header else { throw APIError.unauthorized() }
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw APIError.unauthorized("Use Authorization: Bearer <access token>", code: .tokenInvalid)
            }
            return try await verifier.verifyWithoutSession(String(header.dropFirst(7).drop { $0 == " " }))
        } catch {
            if route.isPublic { return nil }
            let admission = await limiter.admit(subject: "ip:\(clientIP)", routeClass: .general, policy: config.limits[.general], sessionId: nil)
            if admission.outcome == .rateLimited, let decision = admission.decision {
                var refusal = APIError.tooManyRequests(retryAfterSeconds: decision.retryAfterSeconds ?? 1)
                for (name, value) in Self.rateLimitHeaders(decision, windowSeconds: config.limits[.general]?.windowSeconds ?? 60) {
                    refusal.headers[.init(name)!] = value
                }
                throw refusal
            }
            throw (error as? APIError) ?? APIError.unauthorized("Token is not valid", code: .tokenInvalid)
        }
    }

    /// IETF RateLimit headers plus Kong's per-minute pair.
    static func rateLimitHeaders(_ decision: RateLimitDecision, windowSeconds: Int) -> [(String, String)] {
        var headers = [
            ("RateLimit-Limit", String(decision.limit)),
            ("RateLimit-Remaining", String(decision.remaining)),
            ("RateLimit-Reset", String(decision.resetSeconds)),
        ]
        if windowSeconds == 60 {
            headers.append(("X-RateLimit-Limit-Minute", String(decision.limit)))
            headers.append(("X-RateLimit-Remaining-Minute", String(decision.remaining)))
        }
        return headers
    }
}
