import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import ServiceKit
import TrustTradeDTO
import XCTest

struct Widget: Codable, Sendable, Equatable {
    var id: Int
    var name: String
}

/// A tiny service built from the kit the way every real service is.
func kitApp(port: Int = 0) -> some ApplicationProtocol {
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: "kit-test", checks: [])
    router.get("widgets") { request, context -> Envelope<[Widget]> in
        let page = try PageRequest.parse(page: request.uri.queryParameters.get("page"), limit: request.uri.queryParameters.get("limit")).get()
        return Envelope([Widget(id: page.page, name: "w")], pagination: Pagination(page: page.page, limit: page.limit, total: 42))
    }
    router.post("widgets") { request, context -> Envelope<Widget> in
        let widget = try await request.decodeJSON(as: Widget.self, context: context)
        guard widget.id > 0 else { throw APIError.validation("id", "id must be positive") }
        return Envelope(widget, status: .created)
    }
    router.get("boom") { _, _ -> String in
        struct Secret: Error { let password = "hunter2" }
        throw Secret()
    }
    router.group("internal").add(middleware: InternalOnlyMiddleware(credential: ServiceCredential(secret: "s3cret")))
        .get("whoami") { request, context -> Envelope<[String: String]> in
            Envelope(["requestId": context.requestId])
        }
    var logger = Logger(label: "kit")
    logger.logLevel = .critical
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
}

final class KitTests: XCTestCase {
    static func body(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]
    }

    func testErrorsBecomeEnvelopesWithTheRightStatus() async throws {
        try await kitApp().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "NOT_FOUND")
            }
            try await client.execute(uri: "/boom", method: .get) { r in
                XCTAssertEqual(r.status, .internalServerError)
                XCTAssertFalse(String(buffer: r.body).contains("hunter2"), "internal details never leak")
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "INTERNAL_ERROR")
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id":"x","name":"a"}"#)) { r in
                XCTAssertEqual(r.status, .badRequest)
                let error = Self.body(r)["error"] as? [String: Any]
                XCTAssertEqual(error?["code"] as? String, "VALIDATION_ERROR")
                XCTAssertEqual((error?["details"] as? [[String: Any]])?.first?["field"] as? String, "id")
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id":0,"name":"a"}"#)) { r in
                XCTAssertEqual(r.status, .badRequest)
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id":7,"name":"a"}"#)) { r in
                XCTAssertEqual(r.status, .created)
                XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["id"] as? Int, 7)
            }
            // PostgreSQL stores no NUL character: refused as input, not failed in a query.
            try await client.execute(uri: "/widgets?page=1&q=a%00b", method: .get) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "VALIDATION_ERROR")
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id":7,"name":"a\u0000b"}"#)) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "VALIDATION_ERROR")
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"id":7,"name":"a\\u0000b"}"#)) { r in
                XCTAssertEqual(r.status, .created, "an escaped backslash before u0000 is plain text")
                XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["name"] as? String, #"a\u0000b"#)
            }
            try await client.execute(uri: "/widgets", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(repeating: 0x20, count: 1024 * 1024 + 1)) { r in
                XCTAssertEqual(r.status, .contentTooLarge)
            }
        }
    }

    func testListsCarryThePaginationBlockAndRefuseBadPages() async throws {
        try await kitApp().test(.router) { client in
            try await client.execute(uri: "/widgets?page=2&limit=10", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let p = Self.body(r)["pagination"] as? [String: Any]
                XCTAssertEqual(p?["totalPages"] as? Int, 5)
                XCTAssertEqual(p?["hasPrev"] as? Bool, true)
            }
            for bad in ["page=0", "limit=101", "limit=abc"] {
                try await client.execute(uri: "/widgets?\(bad)", method: .get) { r in
                    XCTAssertEqual(r.status, .badRequest, bad)
                }
            }
        }
    }

    func testRequestIdIsKeptWhenSaneAndMadeOtherwise() async throws {
        try await kitApp().test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "req-abc-123"]) { r in
                XCTAssertEqual(r.headers[.requestID], "req-abc-123")
            }
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "bad id\u{7f}<script>"]) { r in
                XCTAssertNotEqual(r.headers[.requestID], "bad id\u{7f}<script>")
                XCTAssertTrue(r.headers[.requestID]?.hasPrefix("req-") == true)
            }
            try await client.execute(uri: "/nowhere", method: .get, headers: [.requestID: "req-404"]) { r in
                XCTAssertEqual(((Self.body(r)["meta"] as? [String: Any])?["requestId"]) as? String, "req-404")
            }
        }
    }

    func testServiceCredential() {
        let credential = ServiceCredential(secret: "s3cret")
        let token = credential.token(for: "core-service")
        XCTAssertEqual(credential.verify(token), "core-service")
        XCTAssertNil(ServiceCredential(secret: "other").verify(token))
        XCTAssertNil(credential.verify(credential.token(for: "core-service", at: Date().addingTimeInterval(-600))))
        XCTAssertNil(credential.verify(token.replacingOccurrences(of: "core-service", with: "payment-service")))
        XCTAssertNil(credential.verify("garbage"))
    }

    /// The internal client sends the credential and the request id; the
    /// internal routes refuse anyone without a credential.
    func testInternalClientAgainstALiveService() async throws {
        try await kitApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let caller = InternalClient(httpClient: .shared, serviceName: "test", credential: ServiceCredential(secret: "s3cret"))
            let echoed: [String: String] = try await caller.get("http://127.0.0.1:\(port)/internal/whoami", requestId: "req-chain-1")
            XCTAssertEqual(echoed["requestId"], "req-chain-1")

            let wrong = InternalClient(httpClient: .shared, serviceName: "test", credential: ServiceCredential(secret: "nope"))
            do {
                let _: [String: String] = try await wrong.get("http://127.0.0.1:\(port)/internal/whoami", requestId: "r")
                XCTFail("must be refused")
            } catch let error as InternalCallError {
                XCTAssertEqual(error.status, 401)
                XCTAssertEqual(error.error?.code, .unauthorized)
            }
        }
    }
}

/// A JWKS that can change under the verifier, counting fetches.
actor RotatingJWKS: JWKSSource {
    var keys: [(String, Curve25519.Signing.PrivateKey)] = []
    var fetches = 0

    func add(_ kid: String) -> Curve25519.Signing.PrivateKey {
        let key = Curve25519.Signing.PrivateKey()
        keys.append((kid, key))
        return key
    }

    func fetchJWKS() async throws -> JWKS {
        fetches += 1
        let jwks = keys.map { kid, key in
            #"{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"\#(kid)","x":"\#(Base64URL.encode(key.publicKey.rawRepresentation))"}"#
        }
        return try JSONDecoder().decode(JWKS.self, from: Data(#"{"keys":[\#(jwks.joined(separator: ","))]}"#.utf8))
    }
}

final class TokenVerifierTests: XCTestCase {
    func token(_ key: Curve25519.Signing.PrivateKey, kid: String, audience: String = "aud", expires: TimeInterval = 600) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
        let identity = Identity(userId: UUID(), email: "a@example.ph", userType: .consumer, sessionId: UUID().uuidString)
        return try await keys.sign(AccessTokenClaims(identity: identity, issuer: "iss", audience: audience, issuedAt: Date(), expiresAt: Date().addingTimeInterval(expires)), kid: JWKIdentifier(string: kid))
    }

    func testUnknownKidRefetchesOnceAndForgedKidsCannotHammer() async throws {
        let source = RotatingJWKS()
        let first = await source.add("k1")
        let verifier = TokenVerifier(source: source, sessions: nil, issuer: "iss", audience: "aud", minimumRefetchInterval: .seconds(60))
        _ = try await verifier.verify(try await token(first, kid: "k1"))
        let fetchesAfterFirst = await source.fetches
        XCTAssertEqual(fetchesAfterFirst, 1)

        // Forged kids: refused, and at most one refetch within the interval.
        for i in 0..<20 {
            do {
                _ = try await verifier.verify(try await token(Curve25519.Signing.PrivateKey(), kid: "forged-\(i)"))
                XCTFail("forged kid accepted")
            } catch let error as APIError {
                XCTAssertEqual(error.status, .unauthorized)
            }
        }
        let fetchesAfterForged = await source.fetches
        XCTAssertLessThanOrEqual(fetchesAfterForged, 2)

        // A real rotation is picked up on the first token with the new kid.
        let fresh = TokenVerifier(source: source, sessions: nil, issuer: "iss", audience: "aud", minimumRefetchInterval: .zero)
        _ = try await fresh.verify(try await token(first, kid: "k1"))
        let second = await source.add("k2")
        let identity = try await fresh.verify(try await token(second, kid: "k2"))
        XCTAssertEqual(identity.email, "a@example.ph")
    }

    func testExpiryAudienceAndSessionChecks() async throws {
        struct NoSessions: SessionChecker { func isActive(sessionId: String) async throws -> Bool { false } }
        let source = RotatingJWKS()
        let key = await source.add("k1")
        let verifier = TokenVerifier(source: source, sessions: nil, issuer: "iss", audience: "aud")
        await XCTAssertThrowsCode(try await verifier.verify(try await self.token(key, kid: "k1", expires: -10)), .tokenExpired)
        await XCTAssertThrowsCode(try await verifier.verify(try await self.token(key, kid: "k1", audience: "other")), .tokenInvalid)
        let revoked = TokenVerifier(source: source, sessions: NoSessions(), issuer: "iss", audience: "aud")
        await XCTAssertThrowsCode(try await revoked.verify(try await self.token(key, kid: "k1")), .sessionRevoked)
    }
}

func XCTAssertThrowsCode<T>(_ expression: @autoclosure () async throws -> T, _ code: ErrorCode, file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected \(code)", file: file, line: line)
    } catch let error as APIError {
        XCTAssertEqual(error.code, code, file: file, line: line)
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
    }
}
