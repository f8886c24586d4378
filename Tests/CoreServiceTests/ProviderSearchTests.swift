import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import Redis
import TestSupport
import XCTest

final class ProviderSearchTests: XCTestCase {
    func testParsingReportsEveryBadParameter() {
        func fields(_ q: [String: String]) -> Set<String> {
            do { _ = try ProviderSearch.parse(q); return [] } catch { return Set(error.fields.map(\.field)) }
        }
        XCTAssertEqual(fields(["lat": "14.5"]), ["lat"])
        XCTAssertEqual(fields(["lat": "40", "lng": "121"]), ["lat"])
        XCTAssertEqual(fields(["sort": "distance"]), ["sort"])
        XCTAssertEqual(fields(["sort": "cheapest", "radiusKm": "0", "minRating": "6", "maxRate": "-5", "verified": "maybe", "page": "0"]),
                       ["sort", "radiusKm", "minRating", "maxRate", "verified", "page"])
        XCTAssertEqual(fields(["category": "Not A Slug!"]), ["category"])
        XCTAssertEqual(fields(["minTrust": "50.5"]), ["minTrust"])
        // Beyond Int's range: a 400, not a trap.
        XCTAssertEqual(fields(["minTrust": "207700399706828733227454187593940336640"]), ["minTrust"])
        XCTAssertEqual(fields(["minTrust": "-1e300"]), ["minTrust"])
        // PostgreSQL keeps no NUL in text: a 400, not a failed query (500).
        XCTAssertEqual(fields(["q": "air\u{0}con", "location": "Ma\u{0}kati"]), ["q", "location"])

        let near = try? ProviderSearch.parse(["q": "aircon cleaning", "location": "Makati City"])
        XCTAssertEqual(near?.centre?.latitude ?? 0, 14.5547, accuracy: 0.001)
        XCTAssertEqual(near?.sort, .relevance)
        XCTAssertEqual(try? ProviderSearch.parse(["location": "Parañaque"]).centre?.longitude ?? 0, 121.0198)
        XCTAssertEqual(try? ProviderSearch.parse(["location": "Barangay Uno"]).areaText, "Barangay Uno")
        XCTAssertEqual(try? ProviderSearch.parse(["sort": "relevance"]).sort, .trust, "nothing to be relevant to")
    }

    func testSearchFindsByWordsTyposCategoryDistanceAndFiltersAndTheCacheFollowsChanges() async throws {
        try await CoreHarness.run("search", redisDB: 13) { signUp, client, _, logger in
            let aircon = try await CoreHarness.categoryId(client, slug: "aircon-cleaning")
            let plumbing = try await CoreHarness.categoryId(client, slug: "plumbing")
            let tutoring = try await CoreHarness.categoryId(client, slug: "tutoring")
            var owners: [String: CoreHarness.Account] = [:]
            func provider(_ name: String, _ category: String, _ rate: Int, _ lat: Double, _ lng: Double, skills: [String], about: String, areas: [String]) async throws -> String {
                let account = try await signUp(name, "consumer")
                let r = try await CoreHarness.call(client, .post, "/v1/providers", as: account, [
                    "categoryId": category, "businessName": name, "description": about, "hourlyRate": rate,
                    "serviceAreas": areas, "skills": skills, "latitude": lat, "longitude": lng,
                ])
                XCTAssertEqual(r.status, .created, "\(r.body)")
                let id = try XCTUnwrap((r.body["data"] as? [String: Any])?["id"] as? String)
                owners[id] = account
                return id
            }
            let makatiCool = try await provider("Makati Cool Aircon Services", aircon, 60_000, 14.5560, 121.0230,
                skills: ["split-type", "window-type", "chemical wash"], about: "Aircon cleaning and chemical wash in Makati and BGC.", areas: ["Makati City", "Taguig City"])
            let bgcBreeze = try await provider("BGC Breeze", aircon, 45_000, 14.5509, 121.0503,
                skills: ["inverter aircon"], about: "General cleaning of inverter units.", areas: ["Taguig City"])
            let cebuChill = try await provider("Cebu Chill Aircon Cleaning", aircon, 40_000, 10.3157, 123.8854,
                skills: ["split-type"], about: "Aircon cleaning in Cebu City.", areas: ["Cebu City"])
            let tubero = try await provider("Mang Jose Plumbing", plumbing, 35_000, 14.5800, 121.0350,
                skills: ["plumber", "leak repair", "drain declogging"], about: "Plumber for leaks and clogged drains.", areas: ["Mandaluyong City"])
            _ = try await provider("Ate Liza Math Tutor", tutoring, 50_000, 14.6760, 121.0437,
                skills: ["algebra", "calculus"], about: "Math tutoring for high school.", areas: ["Quezon City"])

            func ids(_ query: String) async throws -> [String] {
                let r = try await CoreHarness.call(client, .get, "/v1/providers/search?\(query)")
                XCTAssertEqual(r.status, .ok, "\(query): \(r.body)")
                return (r.body["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            func expect(_ query: String, _ expected: [String], ordered: Bool = true, line: UInt = #line) async throws {
                let got = try await ids(query)
                if ordered { XCTAssertEqual(got, expected, query, line: line) } else { XCTAssertEqual(Set(got), Set(expected), query, line: line) }
            }

            // "aircon cleaning" near Makati: the Makati shop first, BGC next; Cebu is too far.
            let near = try await CoreHarness.call(client, .get, "/v1/providers/search?q=aircon%20cleaning&location=Makati")
            let hits = near.body["data"] as? [[String: Any]] ?? []
            XCTAssertEqual(hits.compactMap { $0["id"] as? String }, [makatiCool, bgcBreeze])
            XCTAssertLessThan(hits.first?["distanceKm"] as? Double ?? 99, 1)
            XCTAssertEqual((near.body["pagination"] as? [String: Any])?["total"] as? Int, 2)
            // Everywhere, all three aircon shops; typos still find them.
            try await expect("q=aircon+cleaning", [makatiCool, bgcBreeze, cebuChill], ordered: false)
            let typo = try await ids("q=aircon+claening"); XCTAssertTrue(typo.contains(makatiCool), "\(typo)")
            try await expect("q=plumbr", [tubero])
            try await expect("q=drain", [tubero])
            // Category by slug covers its sub-categories; filters and sorts.
            try await expect("category=home-services", [makatiCool, bgcBreeze, cebuChill, tubero], ordered: false)
            try await expect("category=aircon-cleaning&sort=price", [cebuChill, bgcBreeze, makatiCool])
            try await expect("category=aircon-cleaning&maxRate=50000&sort=price", [cebuChill, bgcBreeze])
            try await expect("lat=14.5547&lng=121.0244&radiusKm=5&sort=distance", [makatiCool, bgcBreeze, tubero])
            try await expect("location=Cebu", [cebuChill])
            try await expect("verified=true", [])
            try await expect("minTrust=1", [])
            try await expect("location=Taguig%20City&q=aircon&radiusKm=6&sort=distance", [bgcBreeze, makatiCool])
            try await expect("location=Mandaluyong&category=plumbing", [tubero])

            // A category's providers.
            let listed = try await CoreHarness.call(client, .get, "/v1/categories/aircon-cleaning/providers?sort=price&limit=2")
            XCTAssertEqual((listed.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [cebuChill, bgcBreeze])
            XCTAssertEqual((listed.body["pagination"] as? [String: Any])?["hasNext"] as? Bool, true)
            var r = try await CoreHarness.call(client, .get, "/v1/categories/no-such-thing/providers")
            XCTAssertEqual(r.status, .notFound)
            r = try await CoreHarness.call(client, .get, "/v1/providers/search?category=no-such-thing")
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .get, "/v1/providers/search?sort=distance")
            XCTAssertEqual(r.status, .badRequest)

            // Results are cached; a change to a provider shows at once.
            let redis = try RedisClient(url: TestEnvironment.redisURL(db: 13), logger: logger)
            let cached = try await redis.send(["KEYS", "search:providers:*"])
            XCTAssertFalse(cached.array?.isEmpty ?? true, "searches land in search:providers:*")
            try await expect("category=aircon-cleaning&sort=price", [cebuChill, bgcBreeze, makatiCool])
            _ = try await CoreHarness.call(client, .get, "/v1/providers/\(makatiCool)")
            let entry = try await redis.get("provider:\(makatiCool)")
            XCTAssertNotNil(entry)
            let cheaper = try await CoreHarness.call(client, .put, "/v1/providers/\(makatiCool)", as: owners[makatiCool], ["hourlyRate": 30_000])
            XCTAssertEqual(cheaper.status, .ok)
            try await expect("category=aircon-cleaning&sort=price", [makatiCool, cebuChill, bgcBreeze])
            let shown = try await CoreHarness.call(client, .get, "/v1/providers/\(makatiCool)")
            XCTAssertEqual((shown.body["data"] as? [String: Any])?["hourlyRate"] as? Int, 30_000)
        }
    }
}
