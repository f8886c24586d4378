import AsyncHTTPClient
import Foundation
import Hummingbird
import JWTKit
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TrustTradeDTO

/// The access token's claims (DESIGN "Identity"): who, what kind of user, and
/// which session, so a logout can revoke it before it expires.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var email: String
    public var userType: UserType
    public var sid: String
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(identity: Identity, issuer: String, audience: String, issuedAt: Date, expiresAt: Date) {
        self.sub = SubjectClaim(value: identity.userId.uuidString.lowercased())
        self.email = identity.email
        self.userType = identity.userType
        self.sid = identity.sessionId
        self.iss = IssuerClaim(value: issuer)
        self.aud = AudienceClaim(value: audience)
        // Whole seconds: NumericDate as most JWT libraries write and expect it.
        self.iat = IssuedAtClaim(value: Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down)))
        self.exp = ExpirationClaim(value: Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    public var identity: Identity? {
        guard let id = UUID(uuidString: sub.value) else { return nil }
        return Identity(userId: id, email: email, userType: userType, sessionId: sid)
    }
}

/// Where public keys come from: the auth service's JWKS over HTTP for every
/// other service, the key store directly for the auth service itself.
public protocol JWKSSource: Sendable {
    func fetchJWKS() async throws -> JWKS
}

/// The JWKS from `AUTH_JWKS_URL`: one URL, or a comma-separated list (one
/// per auth instance), tried as `ServiceInstances` tries them.
public struct HTTPJWKSSource: JWKSSource {
    public let url: String
    public let httpClient: HTTPClient
    let instances: ServiceInstances

    public init(url: String, httpClient: HTTPClient) {
        self.url = url
        self.httpClient = httpClient
        self.instances = ServiceInstances(url)
    }

    public func fetchJWKS() async throws -> JWKS {
        try await instances.execute(method: .GET) { url in
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await httpClient.execute(request, timeout: .seconds(5))
            guard response.status == .ok else { throw APIError.unavailable("The key service answered \(response.status.code)") }
            let body = try await response.body.collect(upTo: 1 << 20)
            return try JSONDecoder().decode(JWKS.self, from: body)
        }
    }
}

/// Tells whether a session (the token's `sid`) is still alive.
public protocol SessionChecker: Sendable {
    func isActive(sessionId: String) async throws -> Bool
}

/// Verifies access tokens: signature by a known key (`kid` required; keys
/// cached and refetched when an unknown `kid` appears, at most every few
/// seconds so forged kids cannot hammer the key service), algorithm pinned
/// to EdDSA, `exp`, `iss`, `aud`, then the session.
public actor TokenVerifier {
    public nonisolated let issuer: String
    public nonisolated let audience: String
    private let source: any JWKSSource
    private nonisolated let sessions: (any SessionChecker)?
    private let minimumRefetchInterval: Duration
    private var keys = JWTKeyCollection()
    private var knownKids: Set<String> = []
    private var lastFetch: ContinuousClock.Instant?
    private var inFlight: Task<Void, any Error>?
    /// Tokens whose signature and claims already checked out (an Ed25519
    /// verification costs more than the rest of a proxied request).
    private nonisolated let verified = VerifiedTokenCache(capacity: 20_000)

    public init(source: any JWKSSource, sessions: (any SessionChecker)?, issuer: String, audience: String, minimumRefetchInterval: Duration = .seconds(5)) {
        self.source = source
        self.sessions = sessions
        self.issuer = issuer
        self.audience = audience
        self.minimumRefetchInterval = minimumRefetchInterval
    }

    /// A service's verifier: the auth service's JWKS over HTTP, the issuer and
    /// audience of its configuration.
    public init(common: CommonConfig, httpClient: HTTPClient, sessions: (any SessionChecker)?) {
        self.init(
            source: HTTPJWKSSource(url: common.jwksURL, httpClient: httpClient), sessions: sessions,
            issuer: common.jwtIssuer, audience: common.jwtAudience)
    }

    /// Signature, claims, then the session (when a session checker is set).
    public nonisolated func verify(_ token: String) async throws -> Identity {
        try await verifyToken(token).identity
    }

    /// `verify`, also telling until when the token is valid (a chat socket
    /// closes then).
    public nonisolated func verifyToken(_ token: String) async throws -> VerifiedToken {
        let verified = try await verifiedWithoutSession(token)
        if let sessions, try await !sessions.isActive(sessionId: verified.identity.sessionId) {
            throw APIError.unauthorized("Session has ended; sign in again", code: .sessionRevoked)
        }
        return verified
    }

    /// Signature and claims only; the caller checks the session (the gateway
    /// does it in the same Redis round trip as the rate limit).
    public nonisolated func verifyWithoutSession(_ token: String) async throws -> Identity {
        try await verifiedWithoutSession(token).identity
    }

    private nonisolated func verifiedWithoutSession(_ token: String) async throws -> VerifiedToken {
        if let known = verified.lookup(token, now: Date()) { return known }
        return try await verifySignatureAndClaims(token)
    }

    private func verifySignatureAndClaims(_ token: String) async throws -> VerifiedToken {
        let header = try Self.header(of: token)
        guard header.alg == "EdDSA" else { throw APIError.unauthorized("Token algorithm is not accepted", code: .tokenInvalid) }
        guard let kid = header.kid, !kid.isEmpty else { throw APIError.unauthorized("Token has no key id", code: .tokenInvalid) }
        if !knownKids.contains(kid) { try await refreshIfAllowed() }
        guard knownKids.contains(kid) else { throw APIError.unauthorized("Token was signed by an unknown key", code: .tokenInvalid) }

        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw APIError.unauthorized("Token has expired", code: .tokenExpired)
        } catch {
            throw APIError.unauthorized("Token is not valid", code: .tokenInvalid)
        }
        guard claims.iss.value == issuer else { throw APIError.unauthorized("Token was issued by someone else", code: .tokenInvalid) }
        guard claims.aud.value.contains(audience) else { throw APIError.unauthorized("Token is meant for another audience", code: .tokenInvalid) }
        guard let identity = claims.identity else { throw APIError.unauthorized("Token subject is not valid", code: .tokenInvalid) }
        let result = VerifiedToken(identity: identity, expiresAt: claims.exp.value)
        verified.store(token, result)
        return result
    }

    /// The token of an `Authorization: Bearer ...` header, or a 401.
    public static func bearerToken(_ header: String) throws -> String {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("Use Authorization: Bearer <access token>", code: .tokenInvalid)
        }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Loads keys now (at start, or after a rotation the caller knows of).
    public func refresh() async throws {
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.load() }
        inFlight = task
        defer { inFlight = nil }
        try await task.value
    }

    private func refreshIfAllowed() async throws {
        // A fetch under way (another request's) brings the keys this token
        // may need: wait for it rather than refuse the token meanwhile.
        if let inFlight {
            do { try await inFlight.value } catch {
                if knownKids.isEmpty { throw APIError.unavailable("Signing keys are not available yet") }
            }
            return
        }
        if let lastFetch, ContinuousClock.now - lastFetch < minimumRefetchInterval { return }
        do {
            try await refresh()
        } catch {
            if knownKids.isEmpty { throw APIError.unavailable("Signing keys are not available yet") }
        }
    }

    private func load() async throws {
        lastFetch = .now
        let jwks = try await source.fetchJWKS()
        let fresh = JWTKeyCollection()
        var kids: Set<String> = []
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string else { continue }
            do {
                try await fresh.add(jwk: jwk)
                kids.insert(kid)
            } catch {
                continue
            }
        }
        // A key that left the JWKS (retired or compromised) takes its tokens with it.
        if !knownKids.isSubset(of: kids) { verified.removeAll() }
        keys = fresh
        knownKids = kids
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
        var typ: String?
    }

    static func header(of token: String) throws -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(String(parts[0])),
              let header = try? JSONDecoder().decode(Header.self, from: data)
        else { throw APIError.unauthorized("Token is malformed", code: .tokenInvalid) }
        return header
    }
}

/// A token whose signature and claims checked out: who, and until when.
public struct VerifiedToken: Sendable, Equatable {
    public var identity: Identity
    /// The token's `exp`.
    public var expiresAt: Date

    public init(identity: Identity, expiresAt: Date) {
        self.identity = identity
        self.expiresAt = expiresAt
    }
}

/// Bounded memo of verified tokens, until each token's `exp`.
final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: VerifiedToken]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ token: String, now: Date) -> VerifiedToken? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            if entry.expiresAt <= now {
                entries[token] = nil
                return nil
            }
            return entry
        }
    }

    func store(_ token: String, _ verified: VerifiedToken) {
        entries.withLock { entries in
            if entries.count >= capacity {
                let now = Date()
                entries = entries.filter { $0.value.expiresAt > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = verified
        }
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}

public enum Base64URL {
    public static func encode(_ data: some Sequence<UInt8>) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ string: String) -> Data? {
        var s = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s.append("=") }
        return Data(base64Encoded: s)
    }
}

/// Reads `Authorization: Bearer ...`; a valid token sets `context.identity`.
/// With `required`, a request without a valid token is a 401; without it,
/// a missing token passes (public route) but a bad one is still a 401.
public struct AuthenticationMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let verifier: TokenVerifier
    let required: Bool

    public init(verifier: TokenVerifier, required: Bool = true) {
        self.verifier = verifier
        self.required = required
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            if required { throw APIError.unauthorized() }
            return try await next(request, context)
        }
        var context = context
        let verified = try await verifier.verifyToken(try TokenVerifier.bearerToken(header))
        let identity = verified.identity
        context.identity = identity
        context.accessTokenExpiresAt = verified.expiresAt
        context.logger[metadataKey: "userId"] = .string(identity.userId.uuidString.lowercased())
        return try await next(request, context)
    }
}
