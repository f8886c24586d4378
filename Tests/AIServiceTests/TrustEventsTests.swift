import AIService
import AuthService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Queue
import Redis
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// Trust scores from real events on the real queue: a provider's jobs and
/// reviews move the score, each event once, every change in the history and
/// sent to core; the score reads back with its factors.
final class TrustEventsTests: XCTestCase {
    static let redisDB = 16

    typealias Scenario = @Sendable (_ client: any TestClientProtocol, _ admin: HTTPFields, _ consumer: HTTPFields, _ queue: JobQueue,
                                    _ aiDB: String, _ logger: Logger) async throws -> Void

    /// The AI service on a fresh database with a live auth service (real
    /// tokens; an admin made by the operator's command) and its `ai` queue
    /// on Redis db `redisDB`.
    static func withAI(_ label: String, redisDB: Int, settings extra: [String: String] = [:], _ scenario: Scenario) async throws {
        let aiDB = try await TestEnvironment.freshDatabase(label)
        let authDB = try await TestEnvironment.freshDatabase("\(label)auth")
        var quiet = Logger(label: "ai-test")
        quiet.logLevel = .warning
        let logger = quiet
        let redisURL = TestEnvironment.redisURL(db: redisDB)
        let authConfig = try AuthConfig(settings: Settings(["DATABASE_URL": authDB, "REDIS_URL": redisURL, "AUTH_BCRYPT_COST": "4", "PORT": "0"]))
        let auth = try await AuthService.buildApplication(config: authConfig, logger: logger)
        try await auth.test(.live) { authClient in
            let port = try XCTUnwrap(authClient.port)
            let app = try await AIService.buildApplication(config: try AIConfig(settings: Settings([
                "DATABASE_URL": aiDB, "REDIS_URL": redisURL, "PORT": "0", "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
            ].merging(extra) { _, new in new })), logger: logger)
            try await app.test(.router) { client in
                let admin = try await Self.account(authClient, config: authConfig, admin: true, logger: logger)
                let consumer = try await Self.account(authClient, config: authConfig, admin: false, logger: logger)
                let queue = JobQueue(name: "ai", redis: try RedisClient(url: redisURL, logger: logger))
                try await scenario(client, admin, consumer, queue, aiDB, logger)
            }
        }
    }

    func testEventsMoveTheScoreOnceEachAndTheScoreReadsBackWithItsFactors() async throws {
        try await Self.withAI("aitrust", redisDB: Self.redisDB) { client, admin, consumer, queue, aiDB, logger in
                let providerId = UUID(), providerUser = UUID()
                func send<P: Codable & Sendable>(_ type: String, _ payload: P, eventId: UUID = UUID()) async throws -> EventEnvelope<P> {
                    let envelope = EventEnvelope(eventId: eventId, type: type, requestId: "req-ai-test", payload: payload)
                    _ = try await queue.add(type, data: envelope)
                    return envelope
                }
                @Sendable func score() async throws -> [String: Any]? {
                    let r = try await client.execute(uri: "/v1/ai/trust-score/\(providerUser.uuidString.lowercased())", method: .get) { $0 }
                    return r.status == .ok ? Self.body(r)["data"] as? [String: Any] : nil
                }
                func eventually<T>(_ check: @Sendable () async throws -> T?) async throws -> T? {
                    for _ in 0..<200 {
                        if let value = try await check() { return value }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return nil
                }

                // A provider who joined 200 days ago.
                let joined = Date().addingTimeInterval(-200 * 86_400)
                let provider = ProviderDTO(
                    id: providerId, userId: providerUser, categoryId: UUID(), businessName: "Reyes Aircon", description: "Split-type cleaning",
                    hourlyRate: 60_000, serviceAreas: ["Makati City"], skills: ["aircon cleaning"], latitude: 14.55, longitude: 121.02,
                    trustScore: 0, avgRating: 0, totalReviews: 0, totalJobsCompleted: 0, isVerified: true,
                    createdAt: ISO8601.string(from: joined), updatedAt: ISO8601.string(from: joined))
                _ = try await send(EventType.providerChanged, ProviderEvent(provider: provider, categoryNames: ["Home Services", "Aircon Cleaning"], deleted: false))
                let first = try await eventually { try await score() }
                let initial = try XCTUnwrap(first?["score"] as? Int)
                XCTAssertEqual((first?["factors"] as? [[String: Any]])?.count, 5)

                // Three jobs answered within 30 minutes and completed, each reviewed with five stars.
                var completedEvent: EventEnvelope<BookingEvent>?
                for n in 0..<3 {
                    let created = Date().addingTimeInterval(-Double(10 - n) * 86_400)
                    var booking = Self.booking(id: UUID(), provider: providerId, providerUser: providerUser, created: created)
                    _ = try await send(EventType.bookingCreated, BookingEvent(booking: booking, previousStatus: nil, actor: .consumer))
                    booking.status = .accepted
                    booking.acceptedAt = ISO8601.string(from: created.addingTimeInterval(1_800))
                    booking.updatedAt = booking.acceptedAt!
                    _ = try await send(EventType.bookingAccepted, BookingEvent(booking: booking, previousStatus: .pending, actor: .provider))
                    booking.status = .completed
                    booking.updatedAt = ISO8601.string(from: created.addingTimeInterval(86_400))
                    completedEvent = try await send(EventType.bookingCompleted, BookingEvent(booking: booking, previousStatus: .inProgress, actor: .consumer))
                    let review = ReviewDTO(
                        id: UUID(), bookingId: booking.id, reviewerId: booking.consumerId, reviewerName: "Liza", providerId: providerId, rating: 5,
                        title: "Ang galing", content: "Mabilis at malinis", response: nil, respondedAt: nil, isVerified: true,
                        editableUntil: booking.updatedAt, createdAt: booking.updatedAt, updatedAt: booking.updatedAt)
                    _ = try await send(EventType.reviewCreated, ReviewEvent(review: review))
                }
                let after = try await eventually { () -> [String: Any]? in
                    guard let s = try await score(), let factors = s["factors"] as? [[String: Any]],
                          (factors.first { $0["name"] as? String == "rating" }?["detail"] as? String)?.hasPrefix("3 reviews") == true,
                          (factors.first { $0["name"] as? String == "completionRate" }?["detail"] as? String)?.hasPrefix("3 completed") == true
                    else { return nil }
                    return s
                }
                XCTAssertNotNil(after)
                let drained = try await eventually { () -> Bool? in
                    let c = try await queue.counts()
                    return (c["wait"] ?? 0) + (c["active"] ?? 0) == 0 ? true : nil
                }
                XCTAssertEqual(drained, true)
                let settled = try await score()
                let raised = try XCTUnwrap(settled?["score"] as? Int)
                XCTAssertGreaterThan(raised, initial, "completed, quickly answered, well reviewed jobs raise the score")
                let history = try XCTUnwrap(settled?["history"] as? [[String: Any]])
                XCTAssertEqual(history.last?["reason"] as? String, EventType.providerChanged)
                XCTAssertNil(history.last?["oldScore"] as? Int)
                XCTAssertEqual(history.first?["newScore"] as? Int, raised)

                // The same event delivered again (another job) changes nothing.
                let historyCount = try await Self.count("SELECT count(*)::int FROM ai.trust_scores_history", aiDB, logger)
                _ = try await send(EventType.bookingCompleted, completedEvent!.payload, eventId: completedEvent!.eventId)
                _ = try await send(EventType.bookingCompleted, completedEvent!.payload, eventId: completedEvent!.eventId)
                let processed = try await eventually { () -> Bool? in
                    let c = try await queue.counts()
                    return (c["wait"] ?? 0) + (c["active"] ?? 0) == 0 ? true : nil
                }
                XCTAssertEqual(processed, true)
                let historyAfter = try await Self.count("SELECT count(*)::int FROM ai.trust_scores_history", aiDB, logger)
                XCTAssertEqual(historyAfter, historyCount)

                // A dispute lowers it; core hears of every change.
                _ = try await send(EventType.disputeOpened, BookingDisputeEvent(bookingId: completedEvent!.payload.booking.id, open: true))
                let lowered = try await eventually { () -> Int? in
                    guard let s = try await score()?["score"] as? Int, s < raised else { return nil }
                    return s
                }
                XCTAssertNotNil(lowered, "a disputed job lowers the score")
                let published = try await Self.count(
                    "SELECT count(*)::int FROM ai.outbox WHERE queue = 'core' AND event_type = 'trust-score.changed'", aiDB, logger)
                let changes = try await Self.count("SELECT count(*)::int FROM ai.trust_scores_history", aiDB, logger)
                XCTAssertEqual(published, changes, "one trust-score.changed per change")

                // Reading and recalculating.
                var r = try await client.execute(uri: "/v1/ai/trust-score/not-a-uuid", method: .get) { $0 }
                XCTAssertEqual(r.status, .badRequest)
                r = try await client.execute(uri: "/v1/ai/trust-score/\(UUID().uuidString)", method: .get) { $0 }
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "NOT_FOUND")
                let body = try Self.json(["userId": providerUser.uuidString])
                r = try await client.execute(uri: "/v1/ai/trust-score/calculate", method: .post, headers: [.contentType: "application/json"], body: body) { $0 }
                XCTAssertEqual(r.status, .unauthorized)
                r = try await client.execute(uri: "/v1/ai/trust-score/calculate", method: .post, headers: consumer, body: body) { $0 }
                XCTAssertEqual(r.status, .forbidden)
                r = try await client.execute(uri: "/v1/ai/trust-score/calculate", method: .post, headers: admin, body: body) { $0 }
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["score"] as? Int, lowered)
                r = try await client.execute(uri: "/v1/ai/trust-score/calculate", method: .post, headers: admin,
                                             body: try Self.json(["userId": "nobody"])) { $0 }
                XCTAssertEqual(r.status, .badRequest)

                // The chance a new booking completes cleanly, from the shipped model.
                r = try await client.execute(uri: "/v1/ai/trust-score/predict", method: .post, headers: consumer,
                                             body: try Self.json(["userId": providerUser.uuidString, "amount": 150_000])) { $0 }
                XCTAssertEqual(r.status, .ok)
                let prediction = try XCTUnwrap(Self.body(r)["data"] as? [String: Any])
                let probability = try XCTUnwrap(prediction["probability"] as? Double)
                XCTAssertTrue((0.0...1.0).contains(probability))
                XCTAssertEqual(prediction["modelVersion"] as? Int, 1)
                XCTAssertEqual(prediction["modelSource"] as? String, "synthetic")
                XCTAssertEqual((prediction["features"] as? [String: Any])?.count, 7)
                r = try await client.execute(uri: "/v1/ai/trust-score/predict", method: .post, headers: consumer,
                                             body: try Self.json(["userId": UUID().uuidString])) { $0 }
                XCTAssertEqual(r.status, .notFound)
                r = try await client.execute(uri: "/v1/ai/trust-score/predict", method: .post, headers: consumer,
                                             body: try Self.json(["userId": providerUser.uuidString, "amount": -1])) { $0 }
                XCTAssertEqual(r.status, .badRequest)
        }
    }

    static func booking(id: UUID, provider: UUID, providerUser: UUID, created: Date) -> BookingDTO {
        let at = ISO8601.string(from: created)
        return BookingDTO(
            id: id, consumerId: UUID(), providerId: provider, providerUserId: providerUser, categoryId: UUID(), title: "Aircon cleaning",
            description: "", location: nil, scheduledDate: ISO8601.string(from: created.addingTimeInterval(2 * 86_400)),
            scheduledEnd: ISO8601.string(from: created.addingTimeInterval(2 * 86_400 + 7_200)), estimatedHours: 2, proposedRate: 60_000,
            estimatedTotal: 120_000, status: .pending, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil, autoCompleteAt: nil,
            completedAt: nil, cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false, createdAt: at, updatedAt: at)
    }

    /// A signed-in account's headers (an admin through the operator's command).
    static func account(_ auth: any TestClientProtocol, config: AuthConfig, admin: Bool, logger: Logger) async throws -> HTTPFields {
        let email = TestEnvironment.uniqueEmail("ai")
        let created = try await auth.execute(
            uri: "/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
            body: try json(["email": email, "password": "Halo-Halo-Special-3", "fullName": "Test Person", "userType": "consumer"])) { $0 }
        XCTAssertEqual(created.status, .created)
        if admin {
            let granted = try await grantAdmin(email: email, config: config, logger: logger)
            XCTAssertTrue(granted)
        }
        let r = try await auth.execute(
            uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: try json(["email": email, "password": "Halo-Halo-Special-3"])) { $0 }
        let token = try XCTUnwrap((body(r)["data"] as? [String: Any])?["accessToken"] as? String)
        return [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func count(_ sql: String, _ url: String, _ logger: Logger) async throws -> Int {
        try await TestEnvironment.withDatabase(url, logger: logger) { client in
            for try await n in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { return n }
            return 0
        }
    }

    static func body(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any] ?? [:]
    }

    static func json(_ object: Any) throws -> ByteBuffer {
        ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
    }
}
