import Crypto
import Foundation
import JWTKit
import Logging
import ServiceKit
import TrustTradeDTO

/// The public keys in JWKS form (RFC 7517 / RFC 8037 for Ed25519).
public struct PublicJWK: Codable, Sendable, Equatable {
    public var kty = "OKP"
    public var crv = "Ed25519"
    public var x: String
    public var kid: String
    public var alg = "EdDSA"
    public var use = "sig"
}

public struct PublicJWKS: Codable, Sendable, Equatable {
    public var keys: [PublicJWK]
}

/// Publishes the newest keys (next, current, previous) and signs with the
/// newest key that has been published for a while, so verifiers with a cached
/// JWKS already know a key before the first token signed with it arrives, and
/// tokens signed before a rotation still verify. Reloads from the database
/// periodically so every instance follows a rotation.
public actor TokenIssuer: JWKSSource {
    let store: SigningKeyStore
    let issuer: String
    let audience: String
    public let accessTokenLifetime: TimeInterval
    let rotation: TimeInterval
    let logger: Logger
    private var signer = JWTKeyCollection()
    private var currentKid: String?
    private var jwks = PublicJWKS(keys: [])
    private var loadedAt: ContinuousClock.Instant?
    /// How long a new key is only published before it signs: longer than
    /// any verifier's JWKS cache refresh.
    static let publicationDelay: TimeInterval = 120

    public init(store: SigningKeyStore, issuer: String, audience: String, accessTokenLifetime: TimeInterval, rotation: TimeInterval, logger: Logger) {
        self.store = store
        self.issuer = issuer
        self.audience = audience
        self.accessTokenLifetime = accessTokenLifetime
        self.rotation = rotation
        self.logger = logger
    }

    /// Creates a key if none is current, then loads the keys.
    public func start() async throws {
        try await store.ensureCurrentKey(rotation: rotation)
        try await reload()
    }

    public func reload() async throws {
        let keys = try await store.recentKeys(limit: 3)
        let published = Date().addingTimeInterval(-Self.publicationDelay)
        guard let signing = keys.first(where: { $0.createdAt <= published }) ?? keys.last else {
            throw APIError.unavailable("No signing key")
        }
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: try store.unseal(signing)), kid: JWKIdentifier(string: signing.kid))
        signer = collection
        currentKid = signing.kid
        jwks = PublicJWKS(keys: keys.map { PublicJWK(x: Base64URL.encode($0.publicKey), kid: $0.kid) })
        loadedAt = .now
    }

    /// Rotates when the current key is older than the rotation period;
    /// called on a timer.
    public func maintain() async {
        do {
            try await store.ensureCurrentKey(rotation: rotation)
            try await reload()
        } catch {
            logger.error("signing key maintenance failed", metadata: ["error": .string("\(error)")])
        }
    }

    public func publicKeys() async throws -> PublicJWKS {
        if loadedAt == nil { try await reload() }
        return jwks
    }

    public func fetchJWKS() async throws -> JWKS {
        let data = try JSONEncoder().encode(try await publicKeys())
        return try JSONDecoder().decode(JWKS.self, from: data)
    }

    public func accessToken(for identity: Identity) async throws -> String {
        if loadedAt == nil { try await reload() }
        let now = Date()
        let claims = AccessTokenClaims(
            identity: identity, issuer: issuer, audience: audience,
            issuedAt: now, expiresAt: now.addingTimeInterval(accessTokenLifetime)
        )
        var header = JWTHeader()
        header.typ = "JWT"
        return try await signer.sign(claims, kid: currentKid.map { JWKIdentifier(string: $0) }, header: header)
    }
}
