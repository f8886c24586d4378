import AuthService
import Foundation
import Logging
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// A rotation publishes the new key first, signs with it only after the
/// publication delay, and keeps the previous key in the JWKS so tokens signed
/// before the rotation still verify.
final class KeyRotationTests: XCTestCase {
    func testRotationBreaksNoLiveToken() async throws {
        let dbURL = try await TestEnvironment.freshDatabase("rotation")
        try await AuthHarness.withClient(dbURL) { pg in
            let logger = Logger(label: "rotation")
            try await Migrator(schema: "auth", migrations: try authMigrations()).migrate(client: pg, logger: logger)
            let store = SigningKeyStore(client: pg, logger: logger, encryptionSecret: "test-secret")
            let issuer = TokenIssuer(store: store, issuer: "iss", audience: "aud", accessTokenLifetime: 900, rotation: 86_400, logger: logger)
            try await issuer.start()
            let verifier = TokenVerifier(source: issuer, sessions: nil, issuer: "iss", audience: "aud", minimumRefetchInterval: .zero)
            let identity = Identity(userId: UUID(), email: "rot@example.ph", userType: .consumer, sessionId: UUID().uuidString)

            let before = try await issuer.accessToken(for: identity)
            let initialKeys = try await issuer.publicKeys().keys
            let firstKid = try XCTUnwrap(initialKeys.first?.kid)

            // Rotate now: the new key is published but does not sign yet.
            try await store.ensureCurrentKey(rotation: 0)
            try await issuer.reload()
            let published = try await issuer.publicKeys().keys.map(\.kid)
            XCTAssertEqual(published.count, 2)
            XCTAssertEqual(published.last, firstKid)
            let during = try await issuer.accessToken(for: identity)
            XCTAssertEqual(Self.kid(during), firstKid)

            // After the publication delay the new key signs; the old token still verifies.
            _ = try await pg.query("UPDATE auth.signing_keys SET created_at = created_at - interval '10 minutes' WHERE kid <> \(firstKid)", logger: logger)
            try await issuer.reload()
            let after = try await issuer.accessToken(for: identity)
            XCTAssertNotEqual(Self.kid(after), firstKid)
            for token in [before, during, after] {
                let verified = try await verifier.verify(token)
                XCTAssertEqual(verified.email, "rot@example.ph")
            }

            // The private keys are sealed: another encryption key cannot open them.
            let wrong = SigningKeyStore(client: pg, logger: logger, encryptionSecret: "another-secret")
            let sealed = try await store.recentKeys()
            XCTAssertThrowsError(try wrong.unseal(sealed[0]))
        }
    }

    static func kid(_ token: String) -> String? {
        let header = Base64URL.decode(String(token.split(separator: ".")[0])).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        return header?["kid"] as? String
    }
}
