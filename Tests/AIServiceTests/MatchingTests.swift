import AIService
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Queue
import TrustTradeDTO
import XCTest

/// Matching: Filipino and English requests find the same trades, nearer,
/// more trusted and cheaper providers rank higher, busy ones are left out.
final class MatchingTests: XCTestCase {
    static let makati = (14.5547, 121.0244), quezonCity = (14.6760, 121.0437), cebu = (10.3157, 123.8854)

    static func provider(_ name: String, _ text: String, category: String, at place: (Double, Double), rate: Int64, trust: Int,
                         id: UUID = UUID()) -> MatchingIndex.Provider {
        MatchingIndex.Provider(id: id, userId: UUID(), categoryId: UUID(), categoryNames: ["Home Services", category], businessName: name,
                               text: "\(name) \(text) \(category)", latitude: place.0, longitude: place.1, hourlyRate: rate, trustScore: trust,
                               version: Date())
    }

    func testWordsOfBothLanguagesMeetOnTheTrade() {
        XCTAssertEqual(MatchText.terms("Kailangan ko ng tubero"), ["plumb"])
        XCTAssertEqual(MatchText.terms("Plumber for a leaking faucet"), ["plumb", "leak", "faucet"])
        XCTAssertEqual(MatchText.terms("maglinis ng aircon"), ["clean", "aircon"])
        XCTAssertEqual(MatchText.terms("Aircon cleaning"), ["aircon", "clean"])
        XCTAssertEqual(MatchText.terms("elektrisyan para sa kuryente"), ["electric", "electric"])
        XCTAssertEqual(MatchScoring.proximity(km: 0), 1)
        XCTAssertEqual(MatchScoring.proximity(km: 10), exp(-1), accuracy: 1e-9)
        XCTAssertEqual(MatchScoring.price(rate: 50_000, budget: 60_000), 1)
        XCTAssertEqual(MatchScoring.price(rate: 72_000, budget: 60_000), exp(-0.6), accuracy: 1e-9, "20 % over")
        let b = MatchScoring.breakdown(skill: 1, km: 0, trustScore: 1000, rate: 1, budget: 10)
        XCTAssertEqual(b.total, 1, accuracy: 1e-9)
    }

    func testTheIndexRanksBySkillPlaceTrustAndPrice() {
        let index = MatchingIndex()
        let near = Self.provider("Reyes Plumbing", "Tubero, leak repair, clogged drains", category: "Plumbing", at: Self.makati, rate: 50_000, trust: 700)
        let far = Self.provider("QC Plumbers", "Plumber, pipes, leak repair", category: "Plumbing", at: Self.quezonCity, rate: 50_000, trust: 700)
        let cebu = Self.provider("Cebu Plumbing", "Plumber, leak", category: "Plumbing", at: Self.cebu, rate: 30_000, trust: 950)
        let aircon = Self.provider("Makati Aircon", "Aircon cleaning, chemical wash", category: "Aircon Cleaning", at: Self.makati, rate: 60_000, trust: 900)
        let pricey = Self.provider("Premium Pipes Makati", "Plumber, leak repair", category: "Plumbing", at: Self.makati, rate: 150_000, trust: 700)
        index.apply(upserts: [near, far, cebu, aircon, pricey])
        XCTAssertEqual(index.count, 5)

        let request = MatchingIndex.Request(text: "Kailangan ko ng tubero, may tulo ang gripo", latitude: Self.makati.0, longitude: Self.makati.1,
                                            budget: 60_000)
        let ranked = index.recommend(request)
        XCTAssertEqual(ranked.first?.provider.id, near.id, "\(ranked.map(\.provider.businessName))")
        XCTAssertFalse(ranked.contains { $0.provider.id == cebu.id }, "Cebu is beyond 50 km")
        XCTAssertLessThan(ranked.firstIndex { $0.provider.id == pricey.id }!, ranked.count)
        XCTAssertGreaterThan(ranked.first { $0.provider.id == near.id }!.breakdown.total, ranked.first { $0.provider.id == pricey.id }!.breakdown.total,
                             "over budget ranks lower")
        let aircons = index.recommend(MatchingIndex.Request(text: "", category: "aircon cleaning"))
        XCTAssertEqual(aircons.map(\.provider.id), [aircon.id], "by category name alone")
        // Words found only outside the filters: the category's providers, ranked without them.
        XCTAssertEqual(index.recommend(MatchingIndex.Request(text: "plumber", category: "Aircon Cleaning")).map(\.provider.id), [aircon.id])
        let busy = index.recommend(MatchingIndex.Request(text: "plumber leak", latitude: Self.makati.0, longitude: Self.makati.1, exclude: [near.id]))
        XCTAssertFalse(busy.contains { $0.provider.id == near.id })

        // A change replaces the provider; a deletion removes it.
        var moved = near
        moved.latitude = Self.cebu.0
        moved.longitude = Self.cebu.1
        moved.version = Date().addingTimeInterval(1)
        index.apply(upserts: [moved], deleted: [far.id])
        let after = index.recommend(request)
        XCTAssertFalse(after.contains { $0.provider.id == near.id || $0.provider.id == far.id })
        XCTAssertEqual(index.count, 4)
        let one = index.score(providerId: pricey.id, request)
        XCTAssertNotNil(one)
        XCTAssertEqual(one!.breakdown.total, 0.4 * one!.breakdown.skill + 0.3 * one!.breakdown.proximity + 0.2 * one!.breakdown.trust
                       + 0.1 * one!.breakdown.price, accuracy: 1e-3)
    }

    func testRecommendThroughTheAPIFromProviderEvents() async throws {
        try await TrustEventsTests.withAI("aimatch", redisDB: 18, settings: ["AI_MATCHING_REFRESH_MS": "100"]) { client, _, consumer, queue, _, _ in
            let at = ISO8601.string(from: Date())
            func event(_ name: String, _ skills: [String], _ place: (Double, Double), rate: Int64) -> ProviderEvent {
                ProviderEvent(provider: ProviderDTO(
                    id: UUID(), userId: UUID(), categoryId: UUID(), businessName: name, description: "Metro Manila", hourlyRate: rate,
                    serviceAreas: ["Makati City"], skills: skills, latitude: place.0, longitude: place.1, trustScore: 0, avgRating: 0,
                    totalReviews: 0, totalJobsCompleted: 0, isVerified: false, createdAt: at, updatedAt: at),
                    categoryNames: ["Home Services", "Aircon Cleaning"], deleted: false)
            }
            let a = event("Reyes Aircon", ["aircon cleaning", "chemical wash"], Self.makati, rate: 60_000)
            let b = event("Santos Aircon", ["aircon cleaning"], Self.quezonCity, rate: 55_000)
            for e in [a, b] {
                _ = try await queue.add(EventType.providerChanged, data: EventEnvelope(type: EventType.providerChanged, requestId: nil, payload: e))
            }
            let body = ["text": "linis ng aircon", "latitude": Self.makati.0, "longitude": Self.makati.1, "budget": 70_000,
                        "date": ISO8601.string(from: Date().addingTimeInterval(3 * 86_400))] as [String: Any]
            var ranked: [[String: Any]] = []
            for _ in 0..<200 {
                let r = try await client.execute(uri: "/v1/ai/matching/recommend", method: .post, headers: consumer, body: try TrustEventsTests.json(body)) { $0 }
                ranked = TrustEventsTests.body(r)["data"] as? [[String: Any]] ?? []
                if ranked.count == 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertEqual(ranked.map { $0["businessName"] as? String }, ["Reyes Aircon", "Santos Aircon"])
            let breakdown = try XCTUnwrap(ranked.first?["breakdown"] as? [String: Double])
            XCTAssertEqual(Set(breakdown.keys), ["skill", "proximity", "trust", "price"])
            XCTAssertEqual(ranked.first?["distanceKm"] as? Double, 0)

            // Reyes is booked at that time: left out.
            let start = Date().addingTimeInterval(3 * 86_400)
            let booking = BookingDTO(
                id: UUID(), consumerId: UUID(), providerId: a.provider.id, providerUserId: a.provider.userId, categoryId: UUID(), title: "Cleaning",
                description: "", location: nil, scheduledDate: ISO8601.string(from: start.addingTimeInterval(-1_800)),
                scheduledEnd: ISO8601.string(from: start.addingTimeInterval(5_400)), estimatedHours: 2, proposedRate: 60_000, estimatedTotal: 120_000,
                status: .accepted, expiresAt: nil, acceptedAt: at, startedAt: nil, workDoneAt: nil, autoCompleteAt: nil, completedAt: nil,
                cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false, createdAt: at, updatedAt: at)
            _ = try await queue.add(EventType.bookingAccepted, data: EventEnvelope(
                type: EventType.bookingAccepted, requestId: nil, payload: BookingEvent(booking: booking, previousStatus: .pending, actor: .provider)))
            for _ in 0..<200 {
                let r = try await client.execute(uri: "/v1/ai/matching/recommend", method: .post, headers: consumer, body: try TrustEventsTests.json(body)) { $0 }
                ranked = TrustEventsTests.body(r)["data"] as? [[String: Any]] ?? []
                if ranked.count == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertEqual(ranked.map { $0["businessName"] as? String }, ["Santos Aircon"])

            // One provider's score, and bad input.
            var r = try await client.execute(uri: "/v1/ai/matching/score", method: .post, headers: consumer,
                                             body: try TrustEventsTests.json(["text": "aircon", "providerId": b.provider.id.uuidString])) { $0 }
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual((TrustEventsTests.body(r)["data"] as? [String: Any])?["businessName"] as? String, "Santos Aircon")
            r = try await client.execute(uri: "/v1/ai/matching/score", method: .post, headers: consumer,
                                         body: try TrustEventsTests.json(["text": "aircon", "providerId": UUID().uuidString])) { $0 }
            XCTAssertEqual(r.status, .notFound)
            for bad in [["text": ""], ["text": "aircon", "latitude": 200, "longitude": 0], ["text": "aircon", "latitude": 14.5],
                        ["text": "aircon", "limit": 0], ["text": "aircon", "date": "tomorrow"], ["text": "aircon", "latitude": "NaN", "longitude": 1],
                        ["text": "aircon", "budget": -5]] as [[String: Any]] {
                r = try await client.execute(uri: "/v1/ai/matching/recommend", method: .post, headers: consumer, body: try TrustEventsTests.json(bad)) { $0 }
                XCTAssertEqual(r.status, .badRequest, "\(bad)")
            }
        }
    }
}
