import AuthService
import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceKit
import TestSupport
import XCTest

/// Profiles and categories with real tokens from a live auth service, and the
/// user.registered event through the real queue.
final class ProfileAPITests: XCTestCase {
    func testProfilesFromRegistrationEditingPublicViewAndCategories() async throws {
        try await CoreHarness.run("core", redisDB: 6) { signUp, client, coreDB, logger in
            let maria = try await signUp("Maria Clara", "consumer")
            let jose = try await signUp("Jose Rizal", "provider")
            let andres = try await signUp("Andres Bonifacio", "consumer")
            let asMaria: HTTPFields = [.authorization: "Bearer \(maria.token)", .contentType: "application/json"]

            // No 404 for a fresh account, whether or not the event arrived yet.
            let me = try await client.execute(uri: "/v1/users/me", method: .get, headers: asMaria) { $0 }
            XCTAssertEqual(me.status, .ok, String(buffer: me.body))
            let profile = try XCTUnwrap(CoreHarness.body(me)["data"] as? [String: Any])
            XCTAssertEqual(profile["fullName"] as? String, "Maria Clara")
            XCTAssertEqual(profile["email"] as? String, maria.email)
            XCTAssertEqual(profile["userType"] as? String, "consumer")
            XCTAssertEqual(profile["language"] as? String, "en")

            let update = try JSONSerialization.data(withJSONObject: ["city": "Makati City", "barangay": "Poblacion", "phone": "+63 918 765 4321", "bio": "Naghahanap ng aircon cleaner", "language": "fil"])
            let updated = try await client.execute(uri: "/v1/users/me", method: .put, headers: asMaria, body: ByteBuffer(bytes: update)) { $0 }
            XCTAssertEqual(updated.status, .ok, String(buffer: updated.body))
            let after = try XCTUnwrap(CoreHarness.body(updated)["data"] as? [String: Any])
            XCTAssertEqual(after["phone"] as? String, "+639187654321")
            XCTAssertEqual(after["city"] as? String, "Makati City")
            XCTAssertEqual(after["language"] as? String, "fil")

            let bad = try JSONSerialization.data(withJSONObject: ["fullName": "", "phone": "1234", "language": "xx"])
            let refused = try await client.execute(uri: "/v1/users/me", method: .put, headers: asMaria, body: ByteBuffer(bytes: bad)) { $0 }
            XCTAssertEqual(refused.status, .badRequest)
            let error = try XCTUnwrap(CoreHarness.body(refused)["error"] as? [String: Any])
            XCTAssertEqual(error["code"] as? String, "VALIDATION_ERROR")
            XCTAssertEqual(Set(((error["details"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }), ["fullName", "phone", "language"])

            // Someone else's public view: no email, no phone.
            let other = try await client.execute(uri: "/v1/users/\(jose.id)", method: .get, headers: asMaria) { $0 }
            XCTAssertEqual(other.status, .ok, String(buffer: other.body))
            let view = try XCTUnwrap(CoreHarness.body(other)["data"] as? [String: Any])
            XCTAssertEqual(view["fullName"] as? String, "Jose Rizal")
            XCTAssertEqual(view["userType"] as? String, "provider")
            XCTAssertNil(view["email"])
            XCTAssertNil(view["phone"])

            let malformed = try await client.execute(uri: "/v1/users/not-a-uuid", method: .get, headers: asMaria) { $0 }
            XCTAssertEqual(malformed.status, .badRequest)
            let unknown = try await client.execute(uri: "/v1/users/\(UUID().uuidString)", method: .get, headers: asMaria) { $0 }
            XCTAssertEqual(unknown.status, .notFound)
            let anonymous = try await client.execute(uri: "/v1/users/me", method: .get) { $0 }
            XCTAssertEqual(anonymous.status, .unauthorized)

            // The category tree is public.
            let categories = try await client.execute(uri: "/v1/categories", method: .get) { $0 }
            XCTAssertEqual(categories.status, .ok)
            let roots = try XCTUnwrap(CoreHarness.body(categories)["data"] as? [[String: Any]])
            XCTAssertEqual(roots.first?["slug"] as? String, "home-services")
            let homeChildren = (roots.first?["children"] as? [[String: Any]])?.compactMap { $0["slug"] as? String } ?? []
            XCTAssertTrue(homeChildren.contains("aircon-cleaning"))
            XCTAssertTrue(homeChildren.contains("plumbing"))
            XCTAssertTrue(roots.contains { $0["slug"] as? String == "it-services" })

            // Nobody asked for Andres' profile: the user.registered job made it.
            let pg = try Database.makeClient(url: coreDB, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pg.run() }
                defer { group.cancelAll() }
                let store = ProfileStore(client: pg, logger: logger)
                var found: String?
                for _ in 0..<300 where found == nil {
                    found = try await store.profile(userId: UUID(uuidString: andres.id)!)?.fullName
                    if found == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                XCTAssertEqual(found, "Andres Bonifacio", "the registration event reached core through the queue")
                // The same event again changes nothing.
                try await store.createIfMissing(userId: UUID(uuidString: andres.id)!, email: "other@example.ph", fullName: "Someone Else", phone: nil, userType: .consumer)
                let again = try await store.profile(userId: UUID(uuidString: andres.id)!)
                XCTAssertEqual(again?.fullName, "Andres Bonifacio")
            }
        }
    }
}
