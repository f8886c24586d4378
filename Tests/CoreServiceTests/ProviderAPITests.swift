import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import XCTest

final class ProviderAPITests: XCTestCase {
    func testProvidersAreCreatedOncePublicToReadAndChangedOnlyByTheirOwner() async throws {
        try await CoreHarness.run("providers", redisDB: 8) { signUp, client, _, _ in
            let pedro = try await signUp("Pedro Penduko", "consumer")
            let maria = try await signUp("Maria Makiling", "consumer")

            let tree = try await client.execute(uri: "/v1/categories", method: .get) { $0 }
            let roots = try XCTUnwrap(CoreHarness.body(tree)["data"] as? [[String: Any]])
            let home = try XCTUnwrap(roots.first { $0["slug"] as? String == "home-services" })
            let aircon = try XCTUnwrap((home["children"] as? [[String: Any]])?.first { $0["slug"] as? String == "aircon-cleaning" })
            let airconId = try XCTUnwrap(aircon["id"] as? String)
            let homeId = try XCTUnwrap(home["id"] as? String)

            let offer: [String: Any] = [
                "categoryId": airconId, "businessName": "Pedro's Aircon Care", "description": "Split-type and window aircon cleaning",
                "hourlyRate": 50_000, "serviceAreas": ["Makati City", "Taguig City"], "skills": ["split-type", "window-type"],
                "latitude": 14.5547, "longitude": 121.0244,
            ]
            let created = try await client.execute(uri: "/v1/providers", method: .post, headers: pedro.headers, body: try CoreHarness.json(offer)) { $0 }
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            let provider = try XCTUnwrap(CoreHarness.body(created)["data"] as? [String: Any])
            let id = try XCTUnwrap(provider["id"] as? String)
            XCTAssertEqual(provider["hourlyRate"] as? Int, 50_000)
            XCTAssertEqual(provider["currency"] as? String, "PHP")
            XCTAssertEqual(provider["userId"] as? String, pedro.id)

            // Pedro is a provider now.
            let me = try await client.execute(uri: "/v1/users/me", method: .get, headers: pedro.headers) { $0 }
            XCTAssertEqual((CoreHarness.body(me)["data"] as? [String: Any])?["userType"] as? String, "provider")
            // ... also for the auth service (core's event on the `auth` queue): his next tokens say so.
            let type = try await CoreHarness.eventually { () -> String? in
                let user = try await CoreHarness.login(pedro)["user"] as? [String: Any]
                return user?["userType"] as? String == "provider" ? "provider" : nil
            }
            XCTAssertEqual(type, "provider")

            // One per person.
            let again = try await client.execute(uri: "/v1/providers", method: .post, headers: pedro.headers, body: try CoreHarness.json(offer)) { $0 }
            XCTAssertEqual(again.status, .conflict)

            // Anyone reads, also without a token; the category filter covers sub-categories.
            let shown = try await client.execute(uri: "/v1/providers/\(id)", method: .get) { $0 }
            XCTAssertEqual(shown.status, .ok)
            let listed = try await client.execute(uri: "/v1/providers?category=\(homeId)&limit=10", method: .get) { $0 }
            XCTAssertEqual(listed.status, .ok)
            XCTAssertEqual((CoreHarness.body(listed)["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [id])
            XCTAssertEqual((CoreHarness.body(listed)["pagination"] as? [String: Any])?["total"] as? Int, 1)

            // Only the owner changes or deletes it.
            let change = try CoreHarness.json(["hourlyRate": 60_000])
            let stranger = try await client.execute(uri: "/v1/providers/\(id)", method: .put, headers: maria.headers, body: change) { $0 }
            XCTAssertEqual(stranger.status, .forbidden)
            let anonymous = try await client.execute(uri: "/v1/providers/\(id)", method: .put, headers: [.contentType: "application/json"], body: change) { $0 }
            XCTAssertEqual(anonymous.status, .unauthorized)
            let owner = try await client.execute(uri: "/v1/providers/\(id)", method: .put, headers: pedro.headers, body: change) { $0 }
            XCTAssertEqual(owner.status, .ok)
            XCTAssertEqual((CoreHarness.body(owner)["data"] as? [String: Any])?["hourlyRate"] as? Int, 60_000)
            XCTAssertEqual((CoreHarness.body(owner)["data"] as? [String: Any])?["businessName"] as? String, "Pedro's Aircon Care")

            let notMine = try await client.execute(uri: "/v1/providers/\(id)", method: .delete, headers: maria.headers) { $0 }
            XCTAssertEqual(notMine.status, .forbidden)
            let deleted = try await client.execute(uri: "/v1/providers/\(id)", method: .delete, headers: pedro.headers) { $0 }
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await client.execute(uri: "/v1/providers/\(id)", method: .get) { $0 }
            XCTAssertEqual(gone.status, .notFound)
        }
    }

    func testBadProviderInputIsA400NamingEachField() async throws {
        try await CoreHarness.run("providerinput", redisDB: 10) { signUp, client, _, _ in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let bad: [String: Any] = [
                "categoryId": "aircon", "businessName": "J", "hourlyRate": -100, "serviceAreas": [], "latitude": 35.68, "longitude": 139.69,
            ]
            let refused = try await client.execute(uri: "/v1/providers", method: .post, headers: juan.headers, body: try CoreHarness.json(bad)) { $0 }
            XCTAssertEqual(refused.status, .badRequest)
            let error = try XCTUnwrap(CoreHarness.body(refused)["error"] as? [String: Any])
            XCTAssertEqual(Set(((error["details"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }),
                           ["categoryId", "businessName", "hourlyRate", "serviceAreas", "latitude"])

            let unknownCategory: [String: Any] = ["categoryId": UUID().uuidString, "businessName": "Juan's Plumbing", "hourlyRate": 40_000, "serviceAreas": ["Pasig City"]]
            let noCategory = try await client.execute(uri: "/v1/providers", method: .post, headers: juan.headers, body: try CoreHarness.json(unknownCategory)) { $0 }
            XCTAssertEqual(noCategory.status, .badRequest, String(buffer: noCategory.body))

            for uri in ["/v1/providers/not-a-uuid", "/v1/providers?page=0", "/v1/providers?category=plumbing"] {
                let r = try await client.execute(uri: uri, method: .get) { $0 }
                XCTAssertEqual(r.status, .badRequest, uri)
            }
            let missing = try await client.execute(uri: "/v1/providers/\(UUID().uuidString)", method: .get) { $0 }
            XCTAssertEqual(missing.status, .notFound)
        }
    }

    func testPortfolioAndAvatarTakeUploadedFileIdsAndOnlyTheOwnerChangesThem() async throws {
        try await CoreHarness.run("portfolio", redisDB: 8) { signUp, client, _, _ in
            let pedro = try await signUp("Pedro Penduko", "consumer")
            let maria = try await signUp("Maria Makiling", "consumer")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            let photo = try await CoreHarness.upload("portfolio", as: pedro)
            let item: [String: Any] = ["title": "Window-type cleaning, Pasig", "description": "Before and after", "fileIds": [photo]]
            // Only the provider's own portfolio uploads: not someone else's, not an unknown id.
            let mariasPhoto = try await CoreHarness.upload("portfolio", as: maria)
            for fileIds in [[mariasPhoto], [UUID().uuidString]] {
                let r = try await CoreHarness.call(client, .post, "/v1/providers/\(providerId)/portfolio", as: pedro, ["title": "Kitchen", "fileIds": fileIds])
                XCTAssertEqual(r.status, .badRequest, "\(r.body)")
            }

            var r = try await CoreHarness.call(client, .post, "/v1/providers/\(providerId)/portfolio", as: maria, item)
            XCTAssertEqual(r.status, .forbidden)
            r = try await CoreHarness.call(client, .post, "/v1/providers/\(providerId)/portfolio", as: pedro, ["title": "x", "fileIds": ["nope"]])
            XCTAssertEqual(r.status, .badRequest)
            XCTAssertEqual(Set(((r.body["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }), ["title", "fileIds"])
            r = try await CoreHarness.call(client, .post, "/v1/providers/\(providerId)/portfolio", as: pedro, item)
            XCTAssertEqual(r.status, .created, "\(r.body)")
            let itemId = try XCTUnwrap((r.body["data"] as? [String: Any])?["id"] as? String)

            r = try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)/portfolio")
            XCTAssertEqual((r.body["data"] as? [[String: Any]])?.first?["fileIds"] as? [String], [photo])
            r = try await CoreHarness.call(client, .get, "/v1/providers/\(UUID().uuidString)/portfolio")
            XCTAssertEqual(r.status, .notFound)
            let strangerDelete = try await client.execute(uri: "/v1/providers/\(providerId)/portfolio/\(itemId)", method: .delete, headers: maria.headers) { $0 }
            XCTAssertEqual(strangerDelete.status, .forbidden)
            let deleted = try await client.execute(uri: "/v1/providers/\(providerId)/portfolio/\(itemId)", method: .delete, headers: pedro.headers) { $0 }
            XCTAssertEqual(deleted.status, .noContent)
            r = try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)/portfolio")
            XCTAssertEqual((r.body["data"] as? [Any])?.count, 0)

            // The avatar: an uploaded file's id, shown on the public profile.
            r = try await CoreHarness.call(client, .post, "/v1/users/avatar", as: maria, ["fileId": "avatar.png"])
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .post, "/v1/users/avatar", as: maria, ["fileId": mariasPhoto])
            XCTAssertEqual(r.status, .badRequest, "uploaded for the portfolio, not as an avatar")
            let avatar = try await CoreHarness.upload("avatar", as: maria)
            r = try await CoreHarness.call(client, .post, "/v1/users/avatar", as: pedro, ["fileId": avatar])
            XCTAssertEqual(r.status, .badRequest, "someone else's upload")
            r = try await CoreHarness.call(client, .post, "/v1/users/avatar", as: maria, ["fileId": avatar])
            XCTAssertEqual(r.status, .ok)
            r = try await CoreHarness.call(client, .get, "/v1/users/\(maria.id)", as: pedro)
            XCTAssertEqual((r.body["data"] as? [String: Any])?["avatarFileId"] as? String, avatar)
            r = try await CoreHarness.call(client, .post, "/v1/users/avatar", as: maria, ["fileId": NSNull()])
            XCTAssertEqual(r.status, .ok)
            XCTAssertNil((r.body["data"] as? [String: Any])?["avatarFileId"] as? String)
        }
    }
}
