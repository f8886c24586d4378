import Crypto
import Foundation
import JWTKit
import ServiceKit
import TrustTradeDTO
import XCTest

/// A JWKS that answers slowly (an auth instance under load).
actor SlowJWKS: JWKSSource {
    let inner = RotatingJWKS()
    var fetches = 0

    func fetchJWKS() async throws -> JWKS {
        fetches += 1
        try await Task.sleep(for: .milliseconds(300))
        return try await inner.fetchJWKS()
    }
}

final class ConcurrentKeyFetchTests: XCTestCase {
    /// Requests that arrive while the first one fetches the keys wait for
    /// that fetch instead of being refused with "unknown key" (seen with two
    /// of every service starting at once).
    func testTokensArrivingDuringTheFirstKeyFetchAreAccepted() async throws {
        let source = SlowJWKS()
        let key = await source.inner.add("k1")
        let verifier = TokenVerifier(source: source, sessions: nil, issuer: "iss", audience: "aud")
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: "k1"))
        let identity = Identity(userId: UUID(), email: "a@example.ph", userType: .consumer, sessionId: UUID().uuidString)
        let token = try await keys.sign(
            AccessTokenClaims(identity: identity, issuer: "iss", audience: "aud", issuedAt: Date(), expiresAt: Date().addingTimeInterval(600)),
            kid: JWKIdentifier(string: "k1"))
        try await withThrowingTaskGroup(of: Identity.self) { group in
            for _ in 0..<8 { group.addTask { try await verifier.verify(token) } }
            for try await verified in group { XCTAssertEqual(verified.email, "a@example.ph") }
        }
        let fetches = await source.fetches
        XCTAssertEqual(fetches, 1)
    }
}
