import AuthService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceKit
import StandIns
import TestSupport
import XCTest

/// The whole authorization-code + PKCE flow against the local stand-in,
/// which speaks the providers' HTTP protocol.
final class OAuthTests: XCTestCase {
    static let database = Task { try await TestEnvironment.freshDatabase("oauth") }

    func withProviders(_ body: @Sendable (_ auth: any TestClientProtocol, _ provider: any TestClientProtocol) async throws -> Void) async throws {
        var logger = Logger(label: "standins")
        logger.logLevel = .warning
        let standIns = buildStandIns(config: try StandInsConfig(settings: Settings(["PORT": "0"])), logger: logger)
        let dbURL = try await Self.database.value
        try await standIns.test(.live) { provider in
            let base = "http://127.0.0.1:\(provider.port!)"
            let settings = AuthHarness.settings(databaseURL: dbURL, redisDB: 4, extra: ["STANDINS_URL": base])
            let auth = try await AuthHarness.app(settings)
            try await auth.test(.router) { client in try await body(client, provider) }
        }
    }

    /// Follows the provider's sign-in page as a person would and returns the
    /// callback's query (code and state), or the error the provider sent back.
    static func signInAtProvider(_ provider: any TestClientProtocol, authorizationUrl: String, email: String, name: String, verified: Bool = true, decision: String = "allow") async throws -> URLComponents {
        let url = try XCTUnwrap(URLComponents(string: authorizationUrl))
        let pathAndQuery = url.path + "?" + (url.percentEncodedQuery ?? "")
        let page = try await provider.get(pathAndQuery)
        XCTAssertEqual(page.status, .ok, String(buffer: page.body))
        XCTAssertTrue(String(buffer: page.body).contains("<form"))
        var form = url.queryItems ?? []
        form += [URLQueryItem(name: "email", value: email), URLQueryItem(name: "name", value: name), URLQueryItem(name: "decision", value: decision)]
        if verified { form.append(URLQueryItem(name: "email_verified", value: "true")) }
        var encoded = URLComponents()
        encoded.queryItems = form
        let body = (encoded.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let approve = try await provider.execute(uri: url.path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body)) { $0 }
        XCTAssertEqual(approve.status, .found, String(buffer: approve.body))
        return try XCTUnwrap(URLComponents(string: try XCTUnwrap(approve.headers[.location])))
    }

    static func start(_ client: any TestClientProtocol, _ provider: String) async throws -> String {
        let start = try await client.get("/v1/auth/\(provider)", headers: [.accept: "application/json"])
        XCTAssertEqual(start.status, .ok, String(buffer: start.body))
        let url = try XCTUnwrap(object(start).string("data.authorizationUrl"))
        XCTAssertTrue(url.contains("code_challenge_method=S256"))
        XCTAssertTrue(url.contains("state="))
        return url
    }

    static func callbackPath(_ provider: String, _ callback: URLComponents) -> String {
        "/v1/auth/\(provider)/callback?" + (callback.percentEncodedQuery ?? "")
    }

    func testGoogleSignInCreatesAnAccountAndTheStateWorksOnce() async throws {
        try await withProviders { client, provider in
            let browser = try await client.get("/v1/auth/google")
            XCTAssertEqual(browser.status, .found)
            XCTAssertNotNil(browser.headers[.location])

            let email = TestEnvironment.uniqueEmail("ligaya")
            let url = try await Self.start(client, "google")
            let callback = try await Self.signInAtProvider(provider, authorizationUrl: url, email: email, name: "Ligaya Santos")
            XCTAssertTrue(callback.path.hasSuffix("/v1/auth/google/callback"))

            let signedIn = try await client.get(Self.callbackPath("google", callback))
            XCTAssertEqual(signedIn.status, .ok, String(buffer: signedIn.body))
            let data = object(signedIn)
            XCTAssertEqual(data.string("data.user.email"), email)
            XCTAssertEqual(data.string("data.user.fullName"), "Ligaya Santos")
            XCTAssertEqual(data[path: "data.user.emailVerified"] as? Bool, true)
            let access = try XCTUnwrap(data.string("data.accessToken"))
            let me = try await client.get("/v1/auth/me", headers: bearer(access))
            XCTAssertEqual(me.status, .ok)

            // The same callback again: the state was used up.
            assertError(try await client.get(Self.callbackPath("google", callback)), .badRequest, "OAUTH_FAILED")

            // Signing in again finds the same account.
            let again = try await Self.signInAtProvider(provider, authorizationUrl: try await Self.start(client, "google"), email: email, name: "Ligaya Santos")
            let second = try await client.get(Self.callbackPath("google", again))
            XCTAssertEqual(object(second).string("data.user.id"), data.string("data.user.id"))
        }
    }

    func testVerifiedEmailLinksToTheExistingAccountAndUnverifiedDoesNot() async throws {
        try await withProviders { client, provider in
            let (email, _, tokens) = try await client.registerAndLogin()
            let userId = (tokens["user"] as? [String: Any])?["id"] as? String

            let unverified = try await Self.signInAtProvider(provider, authorizationUrl: try await Self.start(client, "google"), email: email, name: "Impostor", verified: false)
            assertError(try await client.get(Self.callbackPath("google", unverified)), .conflict, "EMAIL_TAKEN")

            let facebook = try await Self.signInAtProvider(provider, authorizationUrl: try await Self.start(client, "facebook"), email: email, name: "Maria Clara")
            let linked = try await client.get(Self.callbackPath("facebook", facebook))
            XCTAssertEqual(linked.status, .ok, String(buffer: linked.body))
            XCTAssertEqual(object(linked).string("data.user.id"), userId)
        }
    }

    func testRefusedOrTamperedCallbacksAreClearErrors() async throws {
        try await withProviders { client, provider in
            let denied = try await Self.signInAtProvider(provider, authorizationUrl: try await Self.start(client, "google"), email: "x@example.ph", name: "X", decision: "deny")
            assertError(try await client.get(Self.callbackPath("google", denied)), .unauthorized, "OAUTH_FAILED")

            // A code with a state from another attempt, and a made-up code.
            let url = try await Self.start(client, "google")
            var callback = try await Self.signInAtProvider(provider, authorizationUrl: url, email: TestEnvironment.uniqueEmail(), name: "Y")
            callback.queryItems = callback.queryItems?.map { $0.name == "code" ? URLQueryItem(name: "code", value: "made-up") : $0 }
            assertError(try await client.get(Self.callbackPath("google", callback)), .unauthorized, "OAUTH_FAILED")

            assertError(try await client.get("/v1/auth/google/callback"), .badRequest, "VALIDATION_ERROR")
            assertError(try await client.get("/v1/auth/google/callback?code=abc&state=\(String(repeating: "a", count: 43))"), .badRequest, "OAUTH_FAILED")
        }
    }
}
