import AuthService
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceKit
import TestSupport
import XCTest

final class AuthFlowTests: XCTestCase {
    static let database = Task { try await TestEnvironment.freshDatabase("authflow") }

    func settings() async throws -> Settings {
        AuthHarness.settings(databaseURL: try await Self.database.value, redisDB: 2)
    }

    /// register → verify email → login → refresh → refresh again with the
    /// old token (family revoked) → new login → logout → old access token refused.
    func testWholeSessionLifecycle() async throws {
        let settings = try await settings()
        let dbURL = try await Self.database.value
        let app = try await AuthHarness.app(settings)
        try await app.test(.router) { client in
            let email = TestEnvironment.uniqueEmail("Juan")
            let password = "Adobo&Sinigang7"
            let reg = try await client.post("/v1/auth/register", [
                "email": email.uppercased(), "password": password, "fullName": "  Juan   Dela Cruz ",
                "phone": "+63 917 555 0101", "userType": "provider",
            ])
            XCTAssertEqual(reg.status, .created, String(buffer: reg.body))
            let user = object(reg)
            XCTAssertEqual(user["success"] as? Bool, true)
            XCTAssertEqual(user.string("data.email"), email.lowercased())
            XCTAssertEqual(user.string("data.fullName"), "Juan Dela Cruz")
            XCTAssertEqual(user.string("data.phone"), "+639175550101")
            XCTAssertEqual(user.string("data.userType"), "provider")
            XCTAssertEqual(user[path: "data.emailVerified"] as? Bool, false)
            XCTAssertNil(user[path: "data.passwordHash"])
            XCTAssertNotNil(user.string("meta.requestId"))
            XCTAssertNotNil(reg.headers[.requestID])

            // The verification token arrives by email (the outbox), never in a response.
            XCTAssertFalse(String(buffer: reg.body).contains("token"))
            let token = try await AuthHarness.emailToken(databaseURL: dbURL, to: email.lowercased(), template: "verify-email")
            let verifyToken = try XCTUnwrap(token)
            let verified = try await client.post("/v1/auth/verify-email", ["token": verifyToken])
            XCTAssertEqual(verified.status, .ok, String(buffer: verified.body))
            assertError(try await client.post("/v1/auth/verify-email", ["token": verifyToken]), .badRequest, "TOKEN_INVALID")

            let login = try await client.post("/v1/auth/login", ["email": email, "password": password])
            XCTAssertEqual(login.status, .ok, String(buffer: login.body))
            let tokens = object(login)
            XCTAssertEqual(tokens.string("data.tokenType"), "Bearer")
            XCTAssertEqual(tokens[path: "data.expiresIn"] as? Int, 900)
            XCTAssertEqual(tokens[path: "data.user.emailVerified"] as? Bool, true)
            let access1 = try XCTUnwrap(tokens.string("data.accessToken"))
            let refresh1 = try XCTUnwrap(tokens.string("data.refreshToken"))

            let me = try await client.get("/v1/auth/me", headers: bearer(access1))
            XCTAssertEqual(me.status, .ok, String(buffer: me.body))
            XCTAssertEqual(object(me).string("data.email"), email.lowercased())

            let refreshed = try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh1])
            XCTAssertEqual(refreshed.status, .ok, String(buffer: refreshed.body))
            let access2 = try XCTUnwrap(object(refreshed).string("data.accessToken"))
            let refresh2 = try XCTUnwrap(object(refreshed).string("data.refreshToken"))
            XCTAssertNotEqual(refresh1, refresh2)
            let response1 = try await client.get("/v1/auth/me", headers: bearer(access2))
            XCTAssertEqual(response1.status, .ok, String(buffer: response1.body))

            // The old refresh token again: someone has a copy. The whole family goes.
            assertError(try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh1]), .unauthorized, "REFRESH_TOKEN_REUSED")
            assertError(try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh2]), .unauthorized, "TOKEN_INVALID")
            assertError(try await client.get("/v1/auth/me", headers: bearer(access2)), .unauthorized, "SESSION_REVOKED")

            // A new sign-in, then logout: that session's access token is refused at once.
            let again = object(try await client.post("/v1/auth/login", ["email": email, "password": password]))
            let access3 = try XCTUnwrap(again.string("data.accessToken"))
            let refresh3 = try XCTUnwrap(again.string("data.refreshToken"))
            let response2 = try await client.get("/v1/auth/me", headers: bearer(access3))
            XCTAssertEqual(response2.status, .ok, String(buffer: response2.body))
            let logout = try await client.post("/v1/auth/logout", ["refreshToken": refresh3], headers: bearer(access3))
            XCTAssertEqual(logout.status, .ok, String(buffer: logout.body))
            assertError(try await client.get("/v1/auth/me", headers: bearer(access3)), .unauthorized, "SESSION_REVOKED")
            assertError(try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh3]), .unauthorized, "TOKEN_INVALID")
            // An expired or broken access token does not stop a sign-out: the refresh token decides.
            let fourth = object(try await client.post("/v1/auth/login", ["email": email, "password": password]))
            let refresh4 = try XCTUnwrap(fourth.string("data.refreshToken"))
            let staleLogout = try await client.post("/v1/auth/logout", ["refreshToken": refresh4], headers: bearer("expired.or.garbage"))
            XCTAssertEqual(staleLogout.status, .ok, String(buffer: staleLogout.body))
            assertError(try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh4]), .unauthorized, "TOKEN_INVALID")
            // Logging out twice is harmless.
            let response3 = try await client.post("/v1/auth/logout", ["refreshToken": refresh3])
            XCTAssertEqual(response3.status, .ok, String(buffer: response3.body))
        }
    }

    /// Two clients race with the same refresh token: exactly one gets new
    /// tokens; the other is treated as reuse and the session ends.
    func testConcurrentRefreshRotatesOnce() async throws {
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (_, _, tokens) = try await client.registerAndLogin()
            let refresh = try XCTUnwrap(tokens["refreshToken"] as? String)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await client.post("/v1/auth/refresh-token", ["refreshToken": refresh]).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .ok }.count, 1, "\(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .unauthorized }.count, 7, "\(statuses)")
        }
    }

    func testBadInputAlwaysGetsA4xxEnvelope() async throws {
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let good: [String: Any] = ["email": TestEnvironment.uniqueEmail(), "password": "Kalamansi!42", "fullName": "Jose Rizal", "userType": "consumer"]

            var missing = good
            missing.removeValue(forKey: "email")
            let r1 = try await client.post("/v1/auth/register", missing)
            assertError(r1, .badRequest, "VALIDATION_ERROR")
            XCTAssertEqual((object(r1)[path: "error.details"] as? [[String: Any]])?.first?["field"] as? String, "email")

            var wrongType = good
            wrongType["password"] = 12345678
            assertError(try await client.post("/v1/auth/register", wrongType), .badRequest, "VALIDATION_ERROR")

            let malformed = try await client.execute(uri: "/v1/auth/register", method: .post, headers: jsonHeaders, body: ByteBuffer(string: "{\"email\": ")) { $0 }
            assertError(malformed, .badRequest, "BAD_REQUEST")

            let empty = try await client.execute(uri: "/v1/auth/login", method: .post, headers: jsonHeaders) { $0 }
            assertError(empty, .badRequest, "VALIDATION_ERROR")

            let huge = ByteBuffer(string: "{\"email\":\"" + String(repeating: "a", count: 2 * 1024 * 1024) + "\"}")
            assertError(try await client.execute(uri: "/v1/auth/register", method: .post, headers: jsonHeaders, body: huge) { $0 }, .contentTooLarge, "PAYLOAD_TOO_LARGE")

            let text = try await client.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "hi")) { $0 }
            assertError(text, .unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")

            var badEmail = good
            badEmail["email"] = "juan@@example"
            assertError(try await client.post("/v1/auth/register", badEmail), .badRequest, "VALIDATION_ERROR")

            for weak in ["short1!", "password123", "abcdefghij", String(repeating: "Ab1", count: 30)] {
                var w = good
                w["password"] = weak
                let r = try await client.post("/v1/auth/register", w)
                assertError(r, .badRequest, "VALIDATION_ERROR")
                XCTAssertTrue((object(r)[path: "error.details"] as? [[String: Any]] ?? []).contains { $0["field"] as? String == "password" }, weak)
            }

            var admin = good
            admin["userType"] = "admin"
            assertError(try await client.post("/v1/auth/register", admin), .badRequest, "VALIDATION_ERROR")

            var badPhone = good
            badPhone["phone"] = "12345"
            assertError(try await client.post("/v1/auth/register", badPhone), .badRequest, "VALIDATION_ERROR")

            let response4 = try await client.post("/v1/auth/register", good)
            XCTAssertEqual(response4.status, .created, String(buffer: response4.body))
            var dup = good
            dup["email"] = (good["email"] as! String).uppercased()
            assertError(try await client.post("/v1/auth/register", dup), .conflict, "EMAIL_TAKEN")

            // A NUL byte is a 400, never a 500 (Postgres refuses it) nor a password
            // bcrypt would cut short: the right password plus NUL and more never signs in.
            assertError(try await client.post("/v1/auth/login", ["email": "nul\u{0}@example.ph", "password": "Kalamansi!42"]), .badRequest, "VALIDATION_ERROR")
            assertError(try await client.post("/v1/auth/login", ["email": good["email"]!, "password": "Kalamansi!42\u{0}extra"]), .badRequest, "VALIDATION_ERROR")
            var nulPassword = good
            nulPassword["email"] = TestEnvironment.uniqueEmail()
            nulPassword["password"] = "Kalamansi!42\u{0}x"
            assertError(try await client.post("/v1/auth/register", nulPassword), .badRequest, "VALIDATION_ERROR")

            assertError(try await client.get("/v1/auth/nope/deeper/path"), .notFound, "NOT_FOUND")
            assertError(try await client.get("/v1/auth/twitter"), .notFound, "NOT_FOUND")
            assertError(try await client.post("/v1/auth/refresh-token", ["refreshToken": "not-a-token"]), .unauthorized, "TOKEN_INVALID")
            assertError(try await client.post("/v1/auth/logout", ["refreshToken": 42]), .badRequest, "VALIDATION_ERROR")
            assertError(try await client.get("/v1/auth/me"), .unauthorized, "UNAUTHORIZED")
            assertError(try await client.get("/v1/auth/me", headers: [.authorization: "Basic abc"]), .unauthorized, "TOKEN_INVALID")
            assertError(try await client.get("/internal/users/\(UUID())"), .unauthorized, "UNAUTHORIZED")
        }
    }

    func testLoginAnswersTheSameForUnknownEmailAndWrongPasswordAndThrottles() async throws {
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (email, password, _) = try await client.registerAndLogin()
            let unknown = try await client.post("/v1/auth/login", ["email": TestEnvironment.uniqueEmail(), "password": password])
            let wrong = try await client.post("/v1/auth/login", ["email": email, "password": "Wrong-pass-1"])
            assertError(unknown, .unauthorized, "INVALID_CREDENTIALS")
            assertError(wrong, .unauthorized, "INVALID_CREDENTIALS")
            XCTAssertEqual(object(unknown).string("error.message"), object(wrong).string("error.message"))

            for _ in 0..<4 {
                assertError(try await client.post("/v1/auth/login", ["email": email, "password": "Wrong-pass-1"]), .unauthorized, "INVALID_CREDENTIALS")
            }
            // Five failures: even the right password waits now.
            let blocked = try await client.post("/v1/auth/login", ["email": email, "password": password])
            assertError(blocked, .tooManyRequests, "RATE_LIMITED")
            let retryAfter = try XCTUnwrap(blocked.headers[.retryAfter].flatMap(Int.init))
            XCTAssertGreaterThan(retryAfter, 0)
            XCTAssertLessThanOrEqual(retryAfter, 900)
        }
    }

    func testForgotAndResetPasswordEndsEverySession() async throws {
        let dbURL = try await Self.database.value
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (email, password, tokens) = try await client.registerAndLogin()
            let oldAccess = try XCTUnwrap(tokens["accessToken"] as? String)

            let unknown = try await client.post("/v1/auth/forgot-password", ["email": TestEnvironment.uniqueEmail()])
            XCTAssertEqual(unknown.status, .accepted)
            let known = try await client.post("/v1/auth/forgot-password", ["email": email])
            XCTAssertEqual(known.status, .accepted)
            XCTAssertEqual(object(unknown).string("data.message"), object(known).string("data.message"))

            let token = try await AuthHarness.emailToken(databaseURL: dbURL, to: email, template: "password-reset")
            let resetToken = try XCTUnwrap(token)
            assertError(try await client.post("/v1/auth/reset-password", ["token": resetToken, "password": "weak"]), .badRequest, "VALIDATION_ERROR")
            let newPassword = "Bagong-Password-2026"
            let response5 = try await client.post("/v1/auth/reset-password", ["token": resetToken, "password": newPassword])
            XCTAssertEqual(response5.status, .ok, String(buffer: response5.body))
            assertError(try await client.post("/v1/auth/reset-password", ["token": resetToken, "password": newPassword]), .badRequest, "TOKEN_INVALID")

            assertError(try await client.get("/v1/auth/me", headers: bearer(oldAccess)), .unauthorized, "SESSION_REVOKED")
            assertError(try await client.post("/v1/auth/login", ["email": email, "password": password]), .unauthorized, "INVALID_CREDENTIALS")
            let response6 = try await client.post("/v1/auth/login", ["email": email, "password": newPassword])
            XCTAssertEqual(response6.status, .ok, String(buffer: response6.body))
        }
    }

    func testRegistrationWritesEventsToTheOutbox() async throws {
        let dbURL = try await Self.database.value
        let app = try await AuthHarness.app(try await settings())
        try await app.test(.router) { client in
            let (email, _, tokens) = try await client.registerAndLogin()
            let userId = try XCTUnwrap((tokens["user"] as? [String: Any])?["id"] as? String)
            let queues = try await AuthHarness.withClient(dbURL) { pg in
                let rows = try await pg.query(
                    "SELECT queue FROM auth.outbox WHERE event_type = 'user.registered' AND payload->'payload'->>'userId' = \(userId) AND payload->'payload'->>'email' = \(email) ORDER BY queue",
                    logger: .init(label: "t")
                )
                var queues: [String] = []
                for try await q in rows.decode(String.self) { queues.append(q) }
                return queues
            }
            XCTAssertEqual(queues, ["core", "notification"])
        }
    }
}
