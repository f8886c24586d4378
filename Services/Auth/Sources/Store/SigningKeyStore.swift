import Crypto
import Foundation
import Logging
import PostgresNIO

/// An Ed25519 signing key as stored: the private half sealed with AES-GCM.
public struct StoredSigningKey: Sendable {
    public let kid: String
    public let publicKey: Data
    public let sealedPrivateKey: Data
    public let createdAt: Date
}

/// Signing keys in `auth.signing_keys`, shared by every auth instance.
public struct SigningKeyStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// AES-256 key derived from AUTH_KEY_ENCRYPTION_KEY.
    let sealingKey: SymmetricKey

    public init(client: PostgresClient, logger: Logger, encryptionSecret: String) {
        self.client = client
        self.logger = logger
        self.sealingKey = SymmetricKey(data: SHA256.hash(data: Data("trusttrade-signing-keys:\(encryptionSecret)".utf8)))
    }

    /// Makes sure a key younger than `rotation` exists, creating one if not.
    /// Instances starting together take a transaction-scoped advisory lock,
    /// so exactly one of them creates it.
    public func ensureCurrentKey(rotation: TimeInterval) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(727001)", logger: logger)
            let rows = try await connection.query("SELECT max(created_at) FROM auth.signing_keys", logger: logger)
            var newest: Date?
            for try await date in rows.decode(Date?.self) { newest = date }
            if let newest, Date().timeIntervalSince(newest) < rotation { return }
            let key = Curve25519.Signing.PrivateKey()
            let kid = "ed-" + UUID().uuidString.lowercased().prefix(13)
            let sealed = try AES.GCM.seal(key.rawRepresentation, using: sealingKey, authenticating: Data(kid.utf8)).combined!
            try await connection.query(
                """
                INSERT INTO auth.signing_keys (kid, algorithm, public_key, private_key_sealed)
                VALUES (\(String(kid)), 'EdDSA', \(key.publicKey.rawRepresentation), \(sealed))
                """,
                logger: logger
            )
            logger.info("created signing key", metadata: ["kid": .string(String(kid))])
        }
    }

    /// The newest keys first: the current one and the one before it.
    public func recentKeys(limit: Int = 2) async throws -> [StoredSigningKey] {
        let rows = try await client.query(
            "SELECT kid, public_key, private_key_sealed, created_at FROM auth.signing_keys ORDER BY created_at DESC LIMIT \(limit)",
            logger: logger
        )
        var keys: [StoredSigningKey] = []
        for try await (kid, pub, sealed, created) in rows.decode((String, Data, Data, Date).self) {
            keys.append(StoredSigningKey(kid: kid, publicKey: pub, sealedPrivateKey: sealed, createdAt: created))
        }
        return keys
    }

    public func unseal(_ key: StoredSigningKey) throws -> Curve25519.Signing.PrivateKey {
        let box = try AES.GCM.SealedBox(combined: key.sealedPrivateKey)
        let raw = try AES.GCM.open(box, using: sealingKey, authenticating: Data(key.kid.utf8))
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }
}
