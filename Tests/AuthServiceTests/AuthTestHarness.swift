import AuthService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import ServiceKit
import TestSupport
import XCTest

/// A fresh database per suite; the auth app built exactly as `main` builds it.
enum AuthHarness {
    static func settings(databaseURL: String, redisDB: Int, extra: [String: String] = [:]) -> Settings {
        Settings([
            "DATABASE_URL": databaseURL,
            "REDIS_URL": TestEnvironment.redisURL(db: redisDB),
            "AUTH_BCRYPT_COST": "4",
            "LOG_LEVEL": "warning",
            "PORT": "0",
        ].merging(extra) { _, new in new })
    }

    static func app(_ settings: Settings) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "auth-test")
        logger.logLevel = .warning
        return try await buildApplication(config: try AuthConfig(settings: settings), logger: logger)
    }

    /// Reads what the outbox holds for an email: the way tests get the token
    /// that a real person would get from their inbox.
    static func emailToken(databaseURL: String, to email: String, template: String) async throws -> String? {
        let logger = Logger(label: "outbox-reader")
        let client = try Database.makeClient(url: databaseURL, logger: logger)
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { await client.run(); return nil }
            let rows = try await client.query(
                """
                SELECT payload->'payload'->'variables'->>'token' FROM auth.outbox
                WHERE event_type = 'email.requested' AND payload->'payload'->>'to' = \(email)
                  AND payload->'payload'->>'template' = \(template)
                ORDER BY created_at DESC LIMIT 1
                """,
                logger: logger
            )
            var token: String?
            for try await t in rows.decode(String.self) { token = t }
            group.cancelAll()
            return token
        }
    }

    static func withClient<T: Sendable>(_ url: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = try Database.makeClient(url: url, logger: Logger(label: "test-pg"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            let value = try await body(client)
            group.cancelAll()
            return value
        }
    }
}

// MARK: JSON helpers

func json(_ value: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: value))
}

func object(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
    guard let obj = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] else {
        XCTFail("body is not a JSON object: \(String(buffer: response.body))", file: file, line: line)
        return [:]
    }
    return obj
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }
    func string(_ path: String) -> String? { self[path: path] as? String }
}

/// Asserts the seed's error envelope with a status and code.
func assertError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(response.status, status, String(buffer: response.body), file: file, line: line)
    let body = object(response, file: file, line: line)
    XCTAssertEqual(body["success"] as? Bool, false, file: file, line: line)
    XCTAssertEqual(body.string("error.code"), code, String(buffer: response.body), file: file, line: line)
    XCTAssertNotNil(body.string("error.message"), file: file, line: line)
    XCTAssertNotNil(body.string("meta.requestId"), file: file, line: line)
    XCTAssertNotNil(body.string("meta.timestamp"), file: file, line: line)
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

extension TestClientProtocol {
    func post(_ uri: String, _ body: [String: Any], headers: HTTPFields = jsonHeaders) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: json(body)) { $0 }
    }
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers) { $0 }
    }

    /// Registers and signs in a fresh account; returns (email, password, login data).
    func registerAndLogin(userType: String = "consumer") async throws -> (email: String, password: String, tokens: [String: Any]) {
        let email = TestEnvironment.uniqueEmail()
        let password = "Sampaguita#2026"
        let reg = try await post("/v1/auth/register", ["email": email, "password": password, "fullName": "Maria Clara", "userType": userType, "phone": "0917 123 4567"])
        XCTAssertEqual(reg.status, .created, String(buffer: reg.body))
        let login = try await post("/v1/auth/login", ["email": email, "password": password])
        XCTAssertEqual(login.status, .ok, String(buffer: login.body))
        return (email, password, object(login)["data"] as? [String: Any] ?? [:])
    }
}
