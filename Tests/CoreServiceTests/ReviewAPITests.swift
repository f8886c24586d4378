import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import XCTest

final class ReviewAPITests: XCTestCase {
    /// A booking of `provider` by `consumer` taken through to confirmed completion.
    static func completedBooking(
        _ client: any TestClientProtocol, consumer: CoreHarness.Account, provider: CoreHarness.Account, providerId: String, day: Double
    ) async throws -> String {
        let created = try await CoreHarness.call(client, .post, "/v1/bookings", as: consumer, [
            "providerId": providerId, "title": "Aircon cleaning", "scheduledDate": BookingAPITests.slot(daysAhead: day), "estimatedHours": 1,
        ])
        let id = try XCTUnwrap(BookingAPITests.data(created)["id"] as? String, "\(created.body)")
        for (step, who) in [("accept", provider), ("pay", consumer), ("start", provider), ("complete", consumer)] {
            if step == "pay" {
                try await CoreHarness.pay(client, id, as: consumer)
                continue
            }
            let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/\(step)", as: who)
            XCTAssertEqual(r.status, .ok, "\(step): \(r.body)")
        }
        return id
    }

    func testTheConsumerOfACompletedBookingReviewsOnceAndTheProviderAnswersOnce() async throws {
        try await CoreHarness.run("reviews", redisDB: 11) { signUp, client, _, _ in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let maria = try await signUp("Maria Clara", "consumer")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            let bookingId = try await Self.completedBooking(client, consumer: juan, provider: pedro, providerId: providerId, day: 2)

            // Not yet completed → 409; not yours → 404; the provider cannot review himself.
            let pending = try await CoreHarness.call(client, .post, "/v1/bookings", as: juan, [
                "providerId": providerId, "title": "Second unit", "scheduledDate": BookingAPITests.slot(daysAhead: 9), "estimatedHours": 1,
            ])
            let pendingId = try XCTUnwrap(BookingAPITests.data(pending)["id"] as? String)
            let review: [String: Any] = ["bookingId": bookingId, "rating": 4, "title": "Malinis at mabilis", "content": "On time, tidy work."]
            var r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review.merging(["bookingId": pendingId]) { _, n in n })
            XCTAssertEqual(r.status, .conflict)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: maria, review)
            XCTAssertEqual(r.status, .notFound)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: pedro, review)
            XCTAssertEqual(r.status, .forbidden)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review.merging(["rating": 6]) { _, n in n })
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review.merging(["title": " "]) { _, n in n })
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review.merging(["bookingId": "x"]) { _, n in n })
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: nil, review)
            XCTAssertEqual(r.status, .unauthorized)

            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review)
            XCTAssertEqual(r.status, .created, "\(r.body)")
            let reviewId = try XCTUnwrap(BookingAPITests.data(r)["id"] as? String)
            XCTAssertEqual(BookingAPITests.data(r)["reviewerName"] as? String, "Juan dela Cruz")
            XCTAssertEqual(BookingAPITests.data(r)["isVerified"] as? Bool, true)
            r = try await CoreHarness.call(client, .post, "/v1/reviews", as: juan, review)
            XCTAssertEqual(r.status, .conflict, "one review per booking")

            // Public lists, by query and under the provider.
            r = try await CoreHarness.call(client, .get, "/v1/reviews?providerId=\(providerId)")
            XCTAssertEqual((r.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [reviewId])
            r = try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)/reviews?limit=5")
            XCTAssertEqual((r.body["pagination"] as? [String: Any])?["total"] as? Int, 1)
            r = try await CoreHarness.call(client, .get, "/v1/reviews")
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .get, "/v1/providers/\(UUID().uuidString)/reviews")
            XCTAssertEqual(r.status, .notFound)

            var provider = BookingAPITests.data(try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)"))
            XCTAssertEqual(provider["avgRating"] as? Double, 4)
            XCTAssertEqual(provider["totalReviews"] as? Int, 1)

            // The reviewer changes the rating; the provider's figures follow.
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: maria, ["rating": 1])
            XCTAssertEqual(r.status, .forbidden)
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: juan, ["rating": 5])
            XCTAssertEqual(r.status, .ok)
            provider = BookingAPITests.data(try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)"))
            XCTAssertEqual(provider["avgRating"] as? Double, 5)

            // One answer, from the provider only.
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: juan, ["response": "Salamat!"])
            XCTAssertEqual(r.status, .forbidden)
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: pedro, ["response": "Salamat po, Juan!"])
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(BookingAPITests.data(r)["response"] as? String, "Salamat po, Juan!")
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: pedro, ["response": "Again"])
            XCTAssertEqual(r.status, .conflict)
            r = try await CoreHarness.call(client, .put, "/v1/reviews/\(reviewId)", as: pedro, ["response": "x", "rating": 5])
            XCTAssertEqual(r.status, .badRequest)

            // Removal: not by strangers; the figures drop it.
            let strangerDelete = try await client.execute(uri: "/v1/reviews/\(reviewId)", method: .delete, headers: maria.headers) { $0 }
            XCTAssertEqual(strangerDelete.status, .forbidden)
            let deleted = try await client.execute(uri: "/v1/reviews/\(reviewId)", method: .delete, headers: juan.headers) { $0 }
            XCTAssertEqual(deleted.status, .noContent)
            r = try await CoreHarness.call(client, .get, "/v1/reviews/\(reviewId)"); XCTAssertEqual(r.status, .notFound)
            provider = BookingAPITests.data(try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)"))
            XCTAssertEqual(provider["totalReviews"] as? Int, 0)
            XCTAssertEqual(provider["avgRating"] as? Double, 0)
            XCTAssertEqual(provider["totalJobsCompleted"] as? Int, 1)
        }
    }

    /// Twelve customers post their reviews of the same provider at once: the
    /// average and count come out exactly as the rows say.
    func testConcurrentReviewsKeepTheProviderFiguresExact() async throws {
        try await CoreHarness.run("reviewrace", redisDB: 12) { signUp, client, coreDB, logger in
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            var bookings: [(CoreHarness.Account, String)] = []
            for i in 0..<12 {
                let consumer = try await signUp("Customer \(i)", "consumer")
                bookings.append((consumer, try await Self.completedBooking(client, consumer: consumer, provider: pedro, providerId: providerId, day: Double(2 + i))))
            }
            let ratings = [5, 4, 5, 3, 5, 2, 4, 5, 1, 5, 4, 4]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (i, (consumer, booking)) in bookings.enumerated() {
                    group.addTask {
                        try await CoreHarness.call(client, .post, "/v1/reviews", as: consumer, [
                            "bookingId": booking, "rating": ratings[i], "title": "Review \(i)",
                        ]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(statuses, Array(repeating: .created, count: 12))
            let provider = BookingAPITests.data(try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)"))
            XCTAssertEqual(provider["totalReviews"] as? Int, 12)
            // 47 / 12 = 3.9166… → 3.92
            XCTAssertEqual(provider["avgRating"] as? Double, 3.92)
            XCTAssertEqual(provider["totalJobsCompleted"] as? Int, 12)

            let notices = try await TestEnvironment.withDatabase(coreDB, logger: logger) { pg in
                var n = 0
                for try await c in try await pg.query(
                    """
                    SELECT count(*)::int FROM core.outbox WHERE queue = 'notification' AND payload->'payload'->>'kind' = 'review-received'
                      AND payload->'payload'->>'userId' = \(pedro.id)
                    """, logger: logger).decode(Int.self) { n = c }
                return n
            }
            XCTAssertEqual(notices, 12, "the provider hears of every review")
        }
    }
}
