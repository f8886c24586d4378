import AuthService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NotificationService
import ServiceKit
import TestSupport
import XCTest

/// The inbox API with real tokens from a live auth service (JWKS over HTTP).
final class InboxAPITests: XCTestCase {
    static func body(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]
    }

    func testAUserSeesAndChangesOnlyTheirOwnNotifications() async throws {
        let authDB = try await TestEnvironment.freshDatabase("inboxauth")
        let notifyDB = try await TestEnvironment.freshDatabase("inbox")
        var quiet = Logger(label: "inbox")
        quiet.logLevel = .warning
        let logger = quiet
        let auth = try await AuthService.buildApplication(config: try AuthConfig(settings: Settings([
            "DATABASE_URL": authDB, "REDIS_URL": TestEnvironment.redisURL(db: 5), "AUTH_BCRYPT_COST": "4", "PORT": "0",
        ])), logger: logger)
        try await auth.test(.live) { authClient in
            let port = try XCTUnwrap(authClient.port)
            let app = try await NotificationService.buildApplication(config: try NotificationConfig(settings: Settings([
                // The same Redis as auth: sessions and queues are shared, as in production.
                "DATABASE_URL": notifyDB, "REDIS_URL": TestEnvironment.redisURL(db: 5), "PORT": "0",
                "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
            ])), logger: logger)
            func login(_ client: any TestClientProtocol) async throws -> (String, String) {
                let email = TestEnvironment.uniqueEmail("inbox")
                let payload = try JSONSerialization.data(withJSONObject: ["email": email, "password": "Lumpia-Shanghai-8", "fullName": "Inbox User", "userType": "consumer"])
                _ = try await client.execute(uri: "/v1/auth/register", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: payload)) { $0 }
                let creds = try JSONSerialization.data(withJSONObject: ["email": email, "password": "Lumpia-Shanghai-8"])
                let r = try await client.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: creds)) { $0 }
                let data = Self.body(r)["data"] as! [String: Any]
                return (data["accessToken"] as! String, (data["user"] as! [String: Any])["id"] as! String)
            }
            let (aliceToken, aliceId) = try await login(authClient)
            let (bobToken, _) = try await login(authClient)

            try await app.test(.router) { client in
                // Put two notifications in Alice's inbox the way the worker does.
                let pg = try Database.makeClient(url: notifyDB, logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await pg.run() }
                    defer { group.cancelAll() }
                    let store = NotificationStore(client: pg, logger: logger)
                    for i in 1...2 {
                        try await store.addToInbox(userId: UUID(uuidString: aliceId)!, kind: .bookingAccepted, title: "Booking \(i)", body: "Accepted", data: ["bookingId": "b\(i)"], jobId: "job-\(i)-\(aliceId)")
                    }
                    // The same job again adds nothing.
                    try await store.addToInbox(userId: UUID(uuidString: aliceId)!, kind: .bookingAccepted, title: "Booking 1", body: "Accepted", data: [:], jobId: "job-1-\(aliceId)")
                }
                let alice: HTTPFields = [.authorization: "Bearer \(aliceToken)", .contentType: "application/json"]
                let bob: HTTPFields = [.authorization: "Bearer \(bobToken)", .contentType: "application/json"]

                // Registration travelled auth outbox → queue → this service's worker: a welcome entry arrives.
                var welcomed = false
                for _ in 0..<100 where !welcomed {
                    let inbox = try await client.execute(uri: "/v1/notifications", method: .get, headers: alice) { $0 }
                    welcomed = ((Self.body(inbox)["data"] as? [[String: Any]]) ?? []).contains { $0["type"] as? String == "welcome" }
                    if !welcomed { try await Task.sleep(for: .milliseconds(100)) }
                }
                XCTAssertTrue(welcomed, "the welcome notification reached the inbox through the queue")

                let list = try await client.execute(uri: "/v1/notifications?limit=1", method: .get, headers: alice) { $0 }
                XCTAssertEqual(list.status, .ok, String(buffer: list.body))
                let pagination = Self.body(list)["pagination"] as? [String: Any]
                XCTAssertEqual(pagination?["total"] as? Int, 3)
                XCTAssertEqual(pagination?["hasNext"] as? Bool, true)
                let first = try XCTUnwrap((Self.body(list)["data"] as? [[String: Any]])?.first)
                let id = try XCTUnwrap(first["id"] as? String)

                // Bob registered after Alice; his welcome may still be on its way through the queue.
                var bobsItems: [[String: Any]] = []
                for _ in 0..<100 where bobsItems.isEmpty {
                    let bobsView = try await client.execute(uri: "/v1/notifications", method: .get, headers: bob) { $0 }
                    bobsItems = (Self.body(bobsView)["data"] as? [[String: Any]]) ?? []
                    if bobsItems.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
                }
                XCTAssertEqual(bobsItems.map { $0["type"] as? String }, ["welcome"], "Bob sees his own welcome only")
                let bobReads = try await client.execute(uri: "/v1/notifications/\(id)/read", method: .put, headers: bob) { $0 }
                XCTAssertEqual(bobReads.status, .notFound, "someone else's notification is not found")
                let bobDeletes = try await client.execute(uri: "/v1/notifications/\(id)", method: .delete, headers: bob) { $0 }
                XCTAssertEqual(bobDeletes.status, .notFound)

                let read = try await client.execute(uri: "/v1/notifications/\(id)/read", method: .put, headers: alice) { $0 }
                XCTAssertEqual(read.status, .ok)
                let unread = try await client.execute(uri: "/v1/notifications?unread=true", method: .get, headers: alice) { $0 }
                XCTAssertEqual((Self.body(unread)["pagination"] as? [String: Any])?["total"] as? Int, 2)
                let all = try await client.execute(uri: "/v1/notifications/read-all", method: .put, headers: alice) { $0 }
                XCTAssertEqual((Self.body(all)["data"] as? [String: Any])?["updated"] as? Int, 2)
                let deleted = try await client.execute(uri: "/v1/notifications/\(id)", method: .delete, headers: alice) { $0 }
                XCTAssertEqual(deleted.status, .ok)

                for (uri, method) in [("/v1/notifications", HTTPRequest.Method.get), ("/v1/notifications/read-all", .put)] {
                    let anonymous = try await client.execute(uri: uri, method: method) { $0 }
                    XCTAssertEqual(anonymous.status, .unauthorized)
                }
                let badId = try await client.execute(uri: "/v1/notifications/not-a-uuid/read", method: .put, headers: alice) { $0 }
                XCTAssertEqual(badId.status, .badRequest)
                let badPage = try await client.execute(uri: "/v1/notifications?limit=500", method: .get, headers: alice) { $0 }
                XCTAssertEqual(badPage.status, .badRequest)
                let badFlag = try await client.execute(uri: "/v1/notifications?unread=maybe", method: .get, headers: alice) { $0 }
                XCTAssertEqual(badFlag.status, .badRequest)

                let device = try JSONSerialization.data(withJSONObject: ["token": "fcm-token-\(UUID().uuidString)", "platform": "android"])
                let subscribed = try await client.execute(uri: "/v1/notifications/subscribe", method: .post, headers: alice, body: ByteBuffer(bytes: device)) { $0 }
                XCTAssertEqual(subscribed.status, .created, String(buffer: subscribed.body))
                let badDevice = try JSONSerialization.data(withJSONObject: ["token": "x", "platform": "nokia"])
                let refused = try await client.execute(uri: "/v1/notifications/subscribe", method: .post, headers: alice, body: ByteBuffer(bytes: badDevice)) { $0 }
                XCTAssertEqual(refused.status, .badRequest)
                // A NUL (or any control character) in a token is a 400, never a Postgres error.
                for bad in ["fcm-token-\(UUID().uuidString)\u{0}", "fcm-token-\(UUID().uuidString)\u{1}"] {
                    let nul = try JSONSerialization.data(withJSONObject: ["token": bad, "platform": "android"])
                    let r = try await client.execute(uri: "/v1/notifications/subscribe", method: .post, headers: alice, body: ByteBuffer(bytes: nul)) { $0 }
                    XCTAssertEqual(r.status, .badRequest, String(buffer: r.body))
                }

                let off = try JSONSerialization.data(withJSONObject: ["type": "booking-accepted", "channel": "sms", "enabled": false, "language": "fil"])
                let prefs = try await client.execute(uri: "/v1/notifications/preferences", method: .put, headers: alice, body: ByteBuffer(bytes: off)) { $0 }
                XCTAssertEqual(prefs.status, .ok, String(buffer: prefs.body))
                let channels = (Self.body(prefs)["data"] as? [String: Any])?["channels"] as? [String: [String: Bool]]
                XCTAssertEqual(channels?["booking-accepted"]?["sms"], false)
                let shown = try await client.execute(uri: "/v1/notifications/preferences", method: .get, headers: alice) { $0 }
                XCTAssertEqual((Self.body(shown)["data"] as? [String: Any])?["language"] as? String, "fil", "the language chosen is shown back")
                let security = try JSONSerialization.data(withJSONObject: ["type": "password-reset", "channel": "email", "enabled": false])
                let securityOff = try await client.execute(uri: "/v1/notifications/preferences", method: .put, headers: alice, body: ByteBuffer(bytes: security)) { $0 }
                XCTAssertEqual(securityOff.status, .badRequest)

                let adminOnly = try JSONSerialization.data(withJSONObject: ["userId": aliceId, "type": "welcome"])
                let forbidden = try await client.execute(uri: "/v1/notifications/email", method: .post, headers: alice, body: ByteBuffer(bytes: adminOnly)) { $0 }
                XCTAssertEqual(forbidden.status, .forbidden)
            }
        }
    }
}
