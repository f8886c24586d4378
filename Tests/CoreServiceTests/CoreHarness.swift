import AuthService
import CoreService
import FileService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import TestSupport
import TrustTradeDTO
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
        _ label: String, redisDB: Int, settings extra: [String: String] = [:], live: Bool = false,
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
        // Core checks avatars, portfolio photos and chat attachments with the file service.
        let fileDB = try await TestEnvironment.freshDatabase("\(label)files")
        let storage = NSTemporaryDirectory() + "tt-core-files-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: storage) }
        try await auth.test(.live) { authClient in
            let port = try XCTUnwrap(authClient.port)
            let files = try await FileService.buildApplication(config: try FileConfig(settings: Settings([
                "DATABASE_URL": fileDB, "REDIS_URL": redisURL, "PORT": "0", "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
                "FILE_STORAGE_PATH": storage, "CLAMD_PORT": ProcessInfo.processInfo.environment["CLAMD_PORT"] ?? "3310",
            ])), logger: logger)
            try await files.test(.live) { fileClient in
            let app = try await CoreService.buildApplication(config: try CoreConfig(settings: Settings([
                "DATABASE_URL": coreDB, "REDIS_URL": redisURL, "PORT": "0",
                "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
                "AUTH_BASE_URL": "http://127.0.0.1:\(port)", "FILE_BASE_URL": "http://127.0.0.1:\(try XCTUnwrap(fileClient.port))",
            ].merging(extra) { _, new in new })), logger: logger)
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
            try await app.test(live ? .live : .router) { client in
                try await $authClient.withValue(authClient) {
                    try await $redisURL.withValue(redisURL) {
                        try await $fileClient.withValue(fileClient) {
                            try await scenario(signUp, client, coreDB, logger)
                        }
                    }
                }
            }
            }
        }
    }

    /// The file service of the running scenario.
    @TaskLocal static var fileClient: (any TestClientProtocol)?

    /// Uploads a photo (or `file`) as `account` for `purpose`; answers its id.
    static func upload(_ purpose: String, as account: Account, file: [UInt8]? = nil, name: String = "photo.png") async throws -> String {
        let files = try XCTUnwrap(fileClient)
        var headers = account.headers
        headers[.contentType] = "multipart/form-data; boundary=\(UploadFixtures.boundary)"
        let bytes = try file ?? UploadFixtures.sample("png", width: 64, height: 48)
        let r = try await files.execute(uri: "/v1/files/upload", method: .post, headers: headers,
                                        body: ByteBuffer(bytes: UploadFixtures.multipart(purpose: purpose, file: bytes, name: name))) { $0 }
        XCTAssertEqual(r.status, .created)
        return try XCTUnwrap((body(r)["data"] as? [String: Any])?["id"] as? String)
    }

    /// The auth service of the running scenario.
    @TaskLocal static var authClient: (any TestClientProtocol)?
    /// The scenario's Redis (its queues).
    @TaskLocal static var redisURL: String?

    /// The customer's payment reaches escrow: the payment service's
    /// `escrow.held` on the `core` queue, as in production. Waits until the
    /// booking shows it.
    static func pay(_ client: any TestClientProtocol, _ bookingId: String, as consumer: Account) async throws {
        let redis = try RedisClient(url: try XCTUnwrap(redisURL), logger: Logger(label: "core-test"))
        let r = try await call(client, .get, "/v1/bookings/\(bookingId)", as: consumer)
        let data = try XCTUnwrap(r.body["data"] as? [String: Any])
        func id(_ key: String) throws -> UUID { try XCTUnwrap(UUID(uuidString: data[key] as? String ?? "")) }
        let amount = data["estimatedTotal"] as? Int64 ?? Int64(data["estimatedTotal"] as? Int ?? 0)
        let held = TransactionDTO(
            id: UUID(), bookingId: try id("id"), consumerId: try id("consumerId"), providerId: try id("providerId"),
            providerUserId: try id("providerUserId"), serviceTitle: data["title"] as? String ?? "", amount: amount, platformFee: 0,
            providerAmount: amount, refundedAmount: 0, releasedAmount: 0, escrowStatus: "held", disputed: false, paymentMethod: "gcash",
            paymentProvider: "paymongo", createdAt: ISO8601.string(from: Date()), heldAt: ISO8601.string(from: Date()), releasedAt: nil, refundedAt: nil)
        _ = try await JobQueue(name: "core", redis: redis).add(EventType.escrowHeld, data: EventEnvelope(
            type: EventType.escrowHeld, requestId: nil, payload: EscrowEvent(transaction: held, movedAmount: 0)))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let r = try await call(client, .get, "/v1/bookings/\(bookingId)", as: consumer)
            if (r.body["data"] as? [String: Any])?["paidAt"] is String { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("the booking never showed the payment")
    }

    /// Logs in again (fresh tokens); answers the login's `data`.
    static func login(_ account: Account) async throws -> [String: Any] {
        let auth = try XCTUnwrap(authClient)
        let r = try await auth.execute(
            uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: try json(["email": account.email, "password": "Sinigang-na-Baboy-7"])) { $0 }
        return try XCTUnwrap(body(r)["data"] as? [String: Any])
    }

    /// Sends a request; answers the status and the decoded envelope.
    @discardableResult
    static func call(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, as account: Account? = nil, _ body: Any? = nil
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        var headers: HTTPFields = account?.headers ?? [.contentType: "application/json"]
        if body == nil { headers[.contentType] = nil }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: try body.map(json)) { $0 }
        return (response.status, Self.body(response))
    }

    /// The id of a seeded category by slug.
    static func categoryId(_ client: any TestClientProtocol, slug: String) async throws -> String {
        let tree = try await call(client, .get, "/v1/categories").body["data"] as? [[String: Any]] ?? []
        func find(_ nodes: [[String: Any]]) -> String? {
            for node in nodes {
                if node["slug"] as? String == slug { return node["id"] as? String }
                if let hit = find(node["children"] as? [[String: Any]] ?? []) { return hit }
            }
            return nil
        }
        return try XCTUnwrap(find(tree), "category \(slug)")
    }

    /// Makes `account` a provider in `slug`; answers the provider id.
    static func makeProvider(_ client: any TestClientProtocol, _ account: Account, slug: String = "aircon-cleaning", rate: Int = 50_000) async throws -> String {
        let category = try await categoryId(client, slug: slug)
        let created = try await call(client, .post, "/v1/providers", as: account, [
            "categoryId": category, "businessName": "Pro \(account.email.prefix(12))", "hourlyRate": rate,
            "serviceAreas": ["Makati City"], "latitude": 14.5547, "longitude": 121.0244,
        ])
        XCTAssertEqual(created.status, .created)
        return try XCTUnwrap((created.body["data"] as? [String: Any])?["id"] as? String)
    }

    /// Polls `probe` until it answers non-nil (10 s at most).
    static func eventually<T: Sendable>(_ probe: @Sendable () async throws -> T?) async throws -> T? {
        for _ in 0..<100 {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
