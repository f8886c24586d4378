import AuthService
import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceKit
import TestSupport
import XCTest

/// A live auth service (real tokens, JWKS over HTTP, events on the queue) and
/// the core service on their own databases, as in production.
enum CoreHarness {
    struct Account {
        let token: String
        let id: String
        let email: String
        var headers: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
    }

    static func body(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]
    }

    static func json(_ object: Any) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static func run(
        _ label: String, redisDB: Int,
        _ scenario: @Sendable (_ signUp: @Sendable (String, String) async throws -> Account, _ client: any TestClientProtocol, _ coreDB: String, _ logger: Logger) async throws -> Void
    ) async throws {
        let authDB = try await TestEnvironment.freshDatabase("\(label)auth")
        let coreDB = try await TestEnvironment.freshDatabase(label)
        var quiet = Logger(label: "core-test")
        quiet.logLevel = .warning
        let logger = quiet
        let redisURL = TestEnvironment.redisURL(db: redisDB)
        let auth = try await AuthService.buildApplication(config: try AuthConfig(settings: Settings([
            "DATABASE_URL": authDB, "REDIS_URL": redisURL, "AUTH_BCRYPT_COST": "4", "PORT": "0",
        ])), logger: logger)
        try await auth.test(.live) { authClient in
            let port = try XCTUnwrap(authClient.port)
            let app = try await CoreService.buildApplication(config: try CoreConfig(settings: Settings([
                "DATABASE_URL": coreDB, "REDIS_URL": redisURL, "PORT": "0",
                "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
                "AUTH_BASE_URL": "http://127.0.0.1:\(port)",
            ])), logger: logger)
            let signUp: @Sendable (String, String) async throws -> Account = { name, type in
                let email = TestEnvironment.uniqueEmail(label)
                let created = try await authClient.execute(
                    uri: "/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                    body: try json(["email": email, "password": "Sinigang-na-Baboy-7", "fullName": name, "phone": "09171234567", "userType": type])) { $0 }
                XCTAssertEqual(created.status, .created)
                let r = try await authClient.execute(
                    uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                    body: try json(["email": email, "password": "Sinigang-na-Baboy-7"])) { $0 }
                let data = try XCTUnwrap(body(r)["data"] as? [String: Any])
                return Account(token: data["accessToken"] as! String, id: (data["user"] as! [String: Any])["id"] as! String, email: email)
            }
            try await app.test(.router) { client in
                try await scenario(signUp, client, coreDB, logger)
            }
        }
    }
}
