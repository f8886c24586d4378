import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Queue
import Redis
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

final class BookingAPITests: XCTestCase {
    static func slot(daysAhead: Double, hour: Int = 9) -> String {
        var day = Calendar(identifier: .gregorian)
        day.timeZone = TimeZone(identifier: "UTC")!
        let date = day.date(bySettingHour: hour, minute: 0, second: 0, of: Date().addingTimeInterval(daysAhead * 86_400))!
        return ISO8601.string(from: date)
    }

    static func data(_ r: (status: HTTPResponse.Status, body: [String: Any])) -> [String: Any] {
        r.body["data"] as? [String: Any] ?? [:]
    }

    static func errorCode(_ r: (status: HTTPResponse.Status, body: [String: Any])) -> String? {
        (r.body["error"] as? [String: Any])?["code"] as? String
    }

    /// Events the core service wrote for `bookingId`: (queue, type, recipient of a notification).
    static func events(_ pg: PostgresClient, bookingId: String) async throws -> [(String, String, String?)] {
        let rows = try await pg.query(
            """
            SELECT queue, CASE WHEN event_type = 'notification.requested' THEN payload->'payload'->>'kind' ELSE event_type END,
                   payload->'payload'->>'userId'
            FROM core.outbox
            WHERE payload->'payload'->'booking'->>'id' = \(bookingId) OR payload->'payload'->'data'->>'bookingId' = \(bookingId)
               OR payload->'payload'->>'bookingId' = \(bookingId)
            ORDER BY created_at, event_type
            """, logger: Logger(label: "test"))
        var out: [(String, String, String?)] = []
        for try await row in rows.decode((String, String, String?).self) { out.append(row) }
        return out
    }

    func testABookingGoesFromRequestToConfirmedCompletionAndOnlyItsPeopleSeeIt() async throws {
        try await CoreHarness.run("bookings", redisDB: 11) { signUp, client, coreDB, logger in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let stranger = try await signUp("Maria Clara", "consumer")
            let providerId = try await CoreHarness.makeProvider(client, pedro, rate: 45_000)

            let requested = try await CoreHarness.call(client, .post, "/v1/bookings", as: juan, [
                "providerId": providerId, "title": "Clean two split-type aircons", "description": "2nd floor, Salcedo Village",
                "location": "Makati City", "scheduledDate": Self.slot(daysAhead: 3), "estimatedHours": 2.5,
            ])
            XCTAssertEqual(requested.status, .created, "\(requested.body)")
            var booking = Self.data(requested)
            let id = try XCTUnwrap(booking["id"] as? String)
            XCTAssertEqual(booking["status"] as? String, "pending")
            XCTAssertEqual(booking["proposedRate"] as? Int, 45_000, "the provider's rate when none is proposed")
            XCTAssertEqual(booking["estimatedTotal"] as? Int, 112_500)
            XCTAssertEqual(booking["currency"] as? String, "PHP")
            XCTAssertEqual(booking["providerUserId"] as? String, pedro.id)
            XCTAssertNotNil(booking["expiresAt"] as? String)

            // Outsiders see nothing and change nothing.
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings/\(id)", as: stranger); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: stranger); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings/\(id)"); XCTAssertEqual(r.status, .unauthorized) }
            let strangersList = try await CoreHarness.call(client, .get, "/v1/bookings", as: stranger)
            XCTAssertEqual((strangersList.body["data"] as? [Any])?.count, 0)

            // The consumer cannot accept their own request; the provider sees it in their list.
            let selfAccept = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: juan)
            XCTAssertEqual(selfAccept.status, .forbidden)
            let inbox = try await CoreHarness.call(client, .get, "/v1/bookings?role=provider&status=pending", as: pedro)
            XCTAssertEqual((inbox.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [id])
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings?role=consumer", as: pedro); XCTAssertEqual((r.body["data"] as? [Any])?.count, 0) }

            // The consumer may change the request while it is pending.
            let edited = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)", as: juan, ["estimatedHours": 3, "proposedRate": 50_000])
            XCTAssertEqual(edited.status, .ok, "\(edited.body)")
            XCTAssertEqual(Self.data(edited)["estimatedTotal"] as? Int, 150_000)

            let accepted = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: pedro)
            XCTAssertEqual(accepted.status, .ok)
            XCTAssertEqual(Self.data(accepted)["status"] as? String, "accepted")
            // Illegal moves are 409s that say where the booking is.
            let again = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: pedro)
            XCTAssertEqual(again.status, .conflict)
            XCTAssertEqual(Self.errorCode(again), "ILLEGAL_BOOKING_STATE")
            XCTAssertEqual(((again.body["error"] as? [String: Any])?["details"] as? [[String: Any]])?.first?["message"] as? String, "accepted")
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)", as: juan, ["title": "Too late"]); XCTAssertEqual(r.status, .conflict) }
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/complete", as: juan); XCTAssertEqual(r.status, .conflict) }
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/start", as: juan); XCTAssertEqual(r.status, .forbidden) }

            // Not before the customer's money is in escrow.
            let unpaid = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/start", as: pedro)
            XCTAssertEqual(unpaid.status, .conflict)
            XCTAssertEqual(Self.errorCode(unpaid), "ESCROW_NOT_HELD")
            try await CoreHarness.pay(client, id, as: juan)
            let started = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/start", as: pedro)
            XCTAssertEqual(Self.data(started)["status"] as? String, "in_progress")
            let cancelLate = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/cancel", as: juan, ["reason": "changed my mind"])
            XCTAssertEqual(cancelLate.status, .conflict, "work has started")

            // The provider reports the work done; the consumer confirms.
            let done = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/complete", as: pedro)
            XCTAssertEqual(done.status, .ok)
            booking = Self.data(done)
            XCTAssertEqual(booking["status"] as? String, "in_progress")
            XCTAssertNotNil(booking["workDoneAt"] as? String)
            XCTAssertNotNil(booking["autoCompleteAt"] as? String)
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/complete", as: pedro); XCTAssertEqual(r.status, .conflict) }
            let confirmed = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/complete", as: juan)
            XCTAssertEqual(Self.data(confirmed)["status"] as? String, "completed")
            XCTAssertNotNil(Self.data(confirmed)["completedAt"] as? String)

            let provider = Self.data(try await CoreHarness.call(client, .get, "/v1/providers/\(providerId)"))
            XCTAssertEqual(provider["totalJobsCompleted"] as? Int, 1)

            // Each step left its events: people told, escrow and trust score services fed.
            let events = try await TestEnvironment.withDatabase(coreDB, logger: logger) { try await Self.events($0, bookingId: id) }
            let notified = events.filter { $0.0 == "notification" }.map { "\($0.1)→\($0.2 == pedro.id ? "pedro" : $0.2 == juan.id ? "juan" : "?")" }
            XCTAssertEqual(notified, [
                "booking-created→pedro", "booking-accepted→juan", "booking-completed→juan", "booking-completed→pedro",
            ])
            XCTAssertEqual(events.filter { $0.0 == "payment" }.map(\.1), ["booking.accepted", "booking.completed"])
            XCTAssertEqual(events.filter { $0.0 == "ai" }.map(\.1), [
                "booking.created", "booking.accepted", "booking.started", "booking.work-done", "booking.completed",
            ])
            XCTAssertEqual(events.filter { $0.0 == "core" }.map(\.1).filter { $0 == "booking.expire-due" }.count, 2, "one timer, reset by the edit")
        }
    }

    func testBadRequestsAreClear400s() async throws {
        try await CoreHarness.run("bookingbad", redisDB: 11) { signUp, client, _, _ in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            let good: [String: Any] = ["providerId": providerId, "title": "Fix the sink", "scheduledDate": Self.slot(daysAhead: 2), "estimatedHours": 1]
            func post(_ change: [String: Any], as account: CoreHarness.Account? = nil) async throws -> (HTTPResponse.Status, String?, String?) {
                let r = try await CoreHarness.call(client, .post, "/v1/bookings", as: account ?? juan, good.merging(change) { _, new in new })
                let error = r.body["error"] as? [String: Any]
                return (r.status, error?["code"] as? String, (error?["details"] as? [[String: Any]])?.first?["field"] as? String)
            }
            var r = try await post(["providerId": "not-a-uuid"])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "providerId")
            r = try await post(["providerId": UUID().uuidString])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "providerId")
            r = try await post(["title": ""])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "title")
            r = try await post(["scheduledDate": "2020-01-01T09:00:00Z"])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "scheduledDate")
            r = try await post(["estimatedHours": -2])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "estimatedHours")
            r = try await post(["proposedRate": -100])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "proposedRate")
            r = try await post(["categoryId": UUID().uuidString])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.2, "categoryId")
            r = try await post(["estimatedHours": "two"])
            XCTAssertEqual(r.0, .badRequest); XCTAssertEqual(r.1, "VALIDATION_ERROR")
            r = try await post([:], as: pedro)
            XCTAssertEqual(r.0, .badRequest, "no booking of oneself"); XCTAssertEqual(r.2, "providerId")

            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings/not-a-uuid", as: juan); XCTAssertEqual(r.status, .badRequest) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings/\(UUID().uuidString)", as: juan); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings?page=0", as: juan); XCTAssertEqual(r.status, .badRequest) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings?status=done", as: juan); XCTAssertEqual(r.status, .badRequest) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/bookings?role=boss", as: juan); XCTAssertEqual(r.status, .badRequest) }
            let ok = try await CoreHarness.call(client, .post, "/v1/bookings", as: juan, good)
            let id = try XCTUnwrap(Self.data(ok)["id"] as? String)
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)", as: juan, ["providerId": providerId]); XCTAssertEqual(r.status, .badRequest) }
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/reject", as: pedro, ["reason": String(repeating: "x", count: 1001)]); XCTAssertEqual(r.status, .badRequest) }
            // Withdrawn by the consumer: cancelled, kept, and the provider told.
            let withdrawn = try await client.execute(uri: "/v1/bookings/\(id)", method: .delete, headers: juan.headers) { $0 }
            XCTAssertEqual(withdrawn.status, .noContent)
            let after = Self.data(try await CoreHarness.call(client, .get, "/v1/bookings/\(id)", as: pedro))
            XCTAssertEqual(after["status"] as? String, "cancelled")
            XCTAssertEqual(after["cancelledBy"] as? String, "consumer")
        }
    }

    /// Twenty consumers want Pedro at overlapping times and he accepts all of
    /// them at once: the database lets exactly one through.
    func testConcurrentAcceptsOfOverlappingBookingsLetExactlyOneThrough() async throws {
        try await CoreHarness.run("bookingrace", redisDB: 12) { signUp, client, coreDB, logger in
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            var consumers: [CoreHarness.Account] = []
            for i in 0..<20 { consumers.append(try await signUp("Customer \(i)", "consumer")) }
            var ids: [String] = []
            for (i, consumer) in consumers.enumerated() {
                // 09:00–11:00, 09:15–11:15, ...: every pair overlaps.
                let start = ISO8601.date(from: Self.slot(daysAhead: 5))!.addingTimeInterval(Double(i % 4) * 900)
                let r = try await CoreHarness.call(client, .post, "/v1/bookings", as: consumer, [
                    "providerId": providerId, "title": "Deep clean \(i)", "scheduledDate": ISO8601.string(from: start), "estimatedHours": 2,
                ])
                XCTAssertEqual(r.status, .created)
                ids.append(try XCTUnwrap(Self.data(r)["id"] as? String))
            }
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for id in ids {
                    group.addTask {
                        let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: pedro)
                        return (r.status, Self.errorCode(r))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0.0 == .ok }.count, 1)
            XCTAssertEqual(statuses.filter { $0.0 == .conflict && $0.1 == "BOOKING_OVERLAP" }.count, 19)

            // Ten racing accepts of one (non-overlapping) booking: one wins, the rest see it accepted.
            let later = try await CoreHarness.call(client, .post, "/v1/bookings", as: consumers[0], [
                "providerId": providerId, "title": "Another day", "scheduledDate": Self.slot(daysAhead: 6), "estimatedHours": 2,
            ])
            let laterId = try XCTUnwrap(Self.data(later)["id"] as? String)
            let same = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 { group.addTask { try await CoreHarness.call(client, .put, "/v1/bookings/\(laterId)/accept", as: pedro).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(same.filter { $0 == .ok }.count, 1)
            XCTAssertEqual(same.filter { $0 == .conflict }.count, 9)

            let (accepted, acceptEvents) = try await TestEnvironment.withDatabase(coreDB, logger: logger) { pg in
                var n = 0
                for try await c in try await pg.query("SELECT count(*)::int FROM core.bookings WHERE status = 'accepted'", logger: logger).decode(Int.self) { n = c }
                var e = 0
                for try await c in try await pg.query(
                    "SELECT count(*)::int FROM core.outbox WHERE event_type = 'booking.accepted' AND queue = 'payment'", logger: logger).decode(Int.self) { e = c }
                return (n, e)
            }
            XCTAssertEqual(accepted, 2)
            XCTAssertEqual(acceptEvents, 2, "an event only for the accepts that happened")
        }
    }

    func testUnansweredRequestsExpireAndReportedWorkCompletesUnlessDisputed() async throws {
        // Its own Redis db: the timers are jobs on the `core` queue, which another
        // suite's core worker (running at the same time, another database) must not take.
        try await CoreHarness.run("bookingtimers", redisDB: 1, settings: [
            "CORE_BOOKING_PENDING_TTL_SECONDS": "1", "CORE_BOOKING_CONFIRM_WINDOW_SECONDS": "1",
        ]) { signUp, client, coreDB, logger in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            func book(_ day: Double) async throws -> String {
                let r = try await CoreHarness.call(client, .post, "/v1/bookings", as: juan, [
                    "providerId": providerId, "title": "Aircon check", "scheduledDate": Self.slot(daysAhead: day), "estimatedHours": 1,
                ])
                return try XCTUnwrap(Self.data(r)["id"] as? String)
            }
            @Sendable func status(_ id: String) async throws -> String? {
                Self.data(try await CoreHarness.call(client, .get, "/v1/bookings/\(id)", as: juan))["status"] as? String
            }
            let ignored = try await book(2)
            let expired = try await CoreHarness.eventually { try await status(ignored) == "expired" ? true : nil }
            XCTAssertEqual(expired, true, "the expiry timer ran through outbox → queue → worker")
            do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(ignored)/accept", as: pedro); XCTAssertEqual(r.status, .conflict) }

            // Two jobs done: one completes by itself, the disputed one waits.
            var doneIds: [String] = []
            for day in [3.0, 4.0] {
                let id = try await book(day)
                do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/accept", as: pedro); XCTAssertEqual(r.status, .ok) }
                try await CoreHarness.pay(client, id, as: juan)
                do { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/start", as: pedro); XCTAssertEqual(r.status, .ok) }
                doneIds.append(id)
            }
            let done = doneIds
            // The payment service reports a dispute on the second (as its event would).
            let queue = Queue.JobQueue(name: "core", redis: try Redis.RedisClient(url: TestEnvironment.redisURL(db: 1), logger: logger))
            _ = try await queue.add(EventType.disputeOpened, data: EventEnvelope(
                type: EventType.disputeOpened, requestId: nil, payload: BookingDisputeEvent(bookingId: UUID(uuidString: done[1])!, open: true)))
            let disputed = try await CoreHarness.eventually { () -> Bool? in
                (Self.data(try await CoreHarness.call(client, .get, "/v1/bookings/\(done[1])", as: juan))["disputed"] as? Bool) == true ? true : nil
            }
            XCTAssertEqual(disputed, true)
            for id in done { let r = try await CoreHarness.call(client, .put, "/v1/bookings/\(id)/complete", as: pedro); XCTAssertEqual(r.status, .ok) }
            let completed = try await CoreHarness.eventually { try await status(done[0]) == "completed" ? true : nil }
            XCTAssertEqual(completed, true, "completed by itself after the confirmation window")
            try await Task.sleep(for: .seconds(2))
            let heldStatus = try await status(done[1])
            XCTAssertEqual(heldStatus, "in_progress", "a dispute holds the automatic completion")

            let events = try await TestEnvironment.withDatabase(coreDB, logger: logger) { try await Self.events($0, bookingId: ignored) }
            XCTAssertEqual(Set(events.filter { $0.0 == "notification" && $0.1 == "booking-cancelled" }.compactMap(\.2)), [juan.id, pedro.id],
                           "both sides hear that the request ran out")
        }
    }
}
