import AuthService
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

final class TokenSecurityTests: XCTestCase {
    static let database = Task { try await TestEnvironment.freshDatabase("tokens") }

    func settings(_ extra: [String: String] = [:]) async throws -> Settings {
        AuthHarness.settings(databaseURL: try await Self.database.value, redisDB: 3, extra: extra)
    }

    /// A token signed by a key that is not ours, an expired one, one with
    /// `alg: none`, a tampered one, one for another audience: all 401.
    func testForgedExpiredAndUnsignedTokensAreRefused() async throws {
        let dbURL = try await Self.database.value
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (_, _, tokens) = try await client.registerAndLogin()
            let access = try XCTUnwrap(tokens["accessToken"] as? String)
            let user = try XCTUnwrap(tokens["user"] as? [String: Any])
            let header = try JSONSerialization.jsonObject(with: Base64URL.decode(String(access.split(separator: ".")[0]))!) as! [String: Any]
            let kid = try XCTUnwrap(header["kid"] as? String)
            XCTAssertEqual(header["alg"] as? String, "EdDSA")
            let claims = try JSONSerialization.jsonObject(with: Base64URL.decode(String(access.split(separator: ".")[1]))!) as! [String: Any]
            let sid = try XCTUnwrap(claims["sid"] as? String)
            XCTAssertEqual(claims["sub"] as? String, user["id"] as? String, "ids are lower case everywhere")
            XCTAssertEqual(claims["exp"] as? Int, (claims["exp"] as? Double).map { Int($0) }, "NumericDate in whole seconds")
            XCTAssertEqual(claims["userType"] as? String, "consumer")
            XCTAssertEqual(claims["iss"] as? String, "https://api.trusttrade.ph")
            XCTAssertNotNil(claims["exp"])

            let identity = Identity(userId: UUID(uuidString: user["id"] as! String)!, email: user["email"] as! String, userType: .admin, sessionId: sid)
            func sign(_ key: Curve25519.Signing.PrivateKey, kid: String, audience: String = "trusttrade-api", expires: Date = Date().addingTimeInterval(600)) async throws -> String {
                let keys = JWTKeyCollection()
                await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
                let claims = AccessTokenClaims(identity: identity, issuer: "https://api.trusttrade.ph", audience: audience, issuedAt: Date().addingTimeInterval(-900), expiresAt: expires)
                return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
            }

            // Another key under our kid, and under a kid we never published.
            let stranger = Curve25519.Signing.PrivateKey()
            assertError(try await client.get("/v1/auth/me", headers: bearer(try await sign(stranger, kid: kid))), .unauthorized, "TOKEN_INVALID")
            assertError(try await client.get("/v1/auth/me", headers: bearer(try await sign(stranger, kid: "ed-unknown"))), .unauthorized, "TOKEN_INVALID")

            // Our own key, but expired or for another audience.
            let ours: Curve25519.Signing.PrivateKey = try await AuthHarness.withClient(dbURL) { pg in
                let keyStore = SigningKeyStore(client: pg, logger: Logger(label: "k"), encryptionSecret: "dev-only-key-encryption-secret")
                return try keyStore.unseal(try await keyStore.recentKeys().first!)
            }
            let valid = try await sign(ours, kid: kid)
            let response1 = try await client.get("/v1/auth/me", headers: bearer(valid))
            XCTAssertEqual(response1.status, .ok, "control: a token signed with our key verifies")
            assertError(try await client.get("/v1/auth/me", headers: bearer(try await sign(ours, kid: kid, expires: Date().addingTimeInterval(-5)))), .unauthorized, "TOKEN_EXPIRED")
            assertError(try await client.get("/v1/auth/me", headers: bearer(try await sign(ours, kid: kid, audience: "someone-else"))), .unauthorized, "TOKEN_INVALID")

            // alg: none, and a tampered payload.
            let parts = access.split(separator: ".").map(String.init)
            let noneHeader = Base64URL.encode(Data("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"\(kid)\"}".utf8))
            assertError(try await client.get("/v1/auth/me", headers: bearer("\(noneHeader).\(parts[1])."), ), .unauthorized, "TOKEN_INVALID")
            var tampered = claims
            tampered["userType"] = "admin"
            let tamperedPayload = Base64URL.encode(try JSONSerialization.data(withJSONObject: tampered))
            assertError(try await client.get("/v1/auth/me", headers: bearer("\(parts[0]).\(tamperedPayload).\(parts[2])")), .unauthorized, "TOKEN_INVALID")
            assertError(try await client.get("/v1/auth/me", headers: bearer("garbage")), .unauthorized, "TOKEN_INVALID")
        }
    }

    /// A standard JWT library verifies our tokens from the JWKS alone.
    func testJWKSVerifiesTokensWithAStandardLibrary() async throws {
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (_, _, tokens) = try await client.registerAndLogin()
            let access = try XCTUnwrap(tokens["accessToken"] as? String)
            let jwksResponse = try await client.get("/v1/auth/.well-known/jwks.json")
            XCTAssertEqual(jwksResponse.status, .ok)
            let jwks = String(buffer: jwksResponse.body)
            let parsed = try JSONSerialization.jsonObject(with: Data(jwks.utf8)) as! [String: Any]
            let keys = try XCTUnwrap(parsed["keys"] as? [[String: Any]])
            XCTAssertEqual(keys.first?["kty"] as? String, "OKP")
            XCTAssertEqual(keys.first?["crv"] as? String, "Ed25519")
            XCTAssertNil(keys.first?["d"], "the JWKS must never carry a private key")

            let collection = try await JWTKeyCollection().add(jwksJSON: jwks)
            let claims = try await collection.verify(access, as: AccessTokenClaims.self)
            XCTAssertEqual(claims.aud.value, ["trusttrade-api"])
        }
    }

    /// Two instances start at once on an empty database: the migrations run
    /// once, one signing key is made, and each verifies the other's tokens.
    func testTwoInstancesMigrateTogetherAndTrustEachOther() async throws {
        let dbURL = try await TestEnvironment.freshDatabase("twoinstances")
        let settings = AuthHarness.settings(databaseURL: dbURL, redisDB: 3)
        let appA = try await AuthHarness.app(settings)
        let appB = try await AuthHarness.app(settings)
        try await appA.test(.live) { a in
            try await appB.test(.live) { b in
                let (_, _, tokens) = try await a.registerAndLogin()
                let access = try XCTUnwrap(tokens["accessToken"] as? String)
                let refresh = try XCTUnwrap(tokens["refreshToken"] as? String)
                let response2 = try await b.get("/v1/auth/me", headers: bearer(access))
                XCTAssertEqual(response2.status, .ok)
                let rotated = try await b.post("/v1/auth/refresh-token", ["refreshToken": refresh])
                XCTAssertEqual(rotated.status, .ok)
                let access2 = try XCTUnwrap(object(rotated).string("data.accessToken"))
                let response3 = try await a.get("/v1/auth/me", headers: bearer(access2))
                XCTAssertEqual(response3.status, .ok)
                let jwksA = String(buffer: try await a.get("/v1/auth/.well-known/jwks.json").body)
                let jwksB = String(buffer: try await b.get("/v1/auth/.well-known/jwks.json").body)
                XCTAssertEqual(jwksA, jwksB)
            }
        }
        let (migrations, keys) = try await AuthHarness.withClient(dbURL) { pg -> (Int, Int) in
            var m = 0, k = 0
            for try await c in try await pg.query("SELECT count(*)::int FROM auth.schema_migrations", logger: .init(label: "t")).decode(Int.self) { m = c }
            for try await c in try await pg.query("SELECT count(*)::int FROM auth.signing_keys", logger: .init(label: "t")).decode(Int.self) { k = c }
            return (m, k)
        }
        XCTAssertEqual(migrations, try authMigrations().count)
        XCTAssertEqual(keys, 1)
    }

    func testHealthReadyAndMetrics() async throws {
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let response4 = try await client.get("/health")
            XCTAssertEqual(response4.status, .ok)
            let ready = try await client.get("/ready")
            XCTAssertEqual(ready.status, .ok, String(buffer: ready.body))
            XCTAssertEqual(object(ready).string("data.checks.postgres"), "ok")
            XCTAssertEqual(object(ready).string("data.checks.redis"), "ok")
            _ = try await client.post("/v1/auth/login", ["email": "nobody@example.ph", "password": "Whatever-123"])
            let metrics = String(buffer: try await client.get("/metrics").body)
            XCTAssertTrue(metrics.contains("hb_requests"), metrics)
            XCTAssertTrue(metrics.contains("/v1/auth/login"), metrics)
        }
    }

    /// Readiness says so when Redis is gone, instead of hanging or lying.
    func testReadyReportsAMissingDependency() async throws {
        let app = try await AuthHarness.app(try await settings(["REDIS_URL": "redis://127.0.0.1:1/0"]))
        try await app.test(.router) { client in
            let ready = try await client.get("/ready")
            assertError(ready, .serviceUnavailable, "SERVICE_UNAVAILABLE")
        }
    }
}
