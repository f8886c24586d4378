import AsyncHTTPClient
import AuthService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaymentService
import PostgresNIO
import Queue
import Redis
import ServiceKit
import StandIns
import TestSupport
import TrustTradeDTO
import XCTest

/// The money path with real Postgres and Redis, real tokens from the auth
/// service, and the PayMongo stand-in over HTTP: accepted booking → escrow →
/// GCash authorized on the checkout page → signed webhook → held → booking
/// completed → released to the provider's balance.
final class PaymentFlowTests: XCTestCase {
    static let webhookSecret = "whsk_flow_test"

    struct System: Sendable {
        let auth: any TestClientProtocol
        let client: any TestClientProtocol
        let standIns: any TestClientProtocol
        let paymentDB: String
        let redisURL: String
        let logger: Logger
    }

    func testGCashPaymentHoldsEscrowAndCompletionReleasesIt() async throws {
        try await Self.withSystem("payflow", redisDB: 14) { system in
            try await Self.scenario(authClient: system.auth, client: system.client, paymentDB: system.paymentDB, redisURL: system.redisURL, logger: system.logger)
        }
    }

    static func withSystem(_ label: String, redisDB: Int, _ body: @Sendable @escaping (System) async throws -> Void) async throws {
        var quiet = Logger(label: "payment-flow")
        quiet.logLevel = .warning
        let logger = quiet
        let redisURL = TestEnvironment.redisURL(db: redisDB)
        let authDB = try await TestEnvironment.freshDatabase("\(label)auth")
        let paymentDB = try await TestEnvironment.freshDatabase(label)
        let auth = try await AuthService.buildApplication(config: try AuthConfig(settings: Settings([
            "DATABASE_URL": authDB, "REDIS_URL": redisURL, "AUTH_BCRYPT_COST": "4", "PORT": "0",
        ])), logger: logger)
        let standIns = buildStandIns(config: try StandInsConfig(settings: Settings([
            "PORT": "0", "PAYMONGO_WEBHOOK_SECRET": Self.webhookSecret,
        ])), logger: logger)
        try await auth.test(.live) { authClient in
            try await standIns.test(.live) { standInClient in
                let standInsURL = "http://127.0.0.1:\(standInClient.port!)"
                let payment = try await PaymentService.buildApplication(config: try PaymentConfig(settings: Settings([
                    "DATABASE_URL": paymentDB, "REDIS_URL": redisURL, "PORT": "0",
                    "AUTH_JWKS_URL": "http://127.0.0.1:\(authClient.port!)/v1/auth/.well-known/jwks.json",
                    "PAYMONGO_BASE_URL": "\(standInsURL)/paymongo", "PAYMONGO_WEBHOOK_SECRET": Self.webhookSecret,
                    "PLATFORM_FEE_BPS": "1000", "PLATFORM_FEE_MIN_CENTAVOS": "2000",
                ])), logger: logger)
                try await payment.test(.live) { client in
                    // An endpoint that is down comes first: PayMongo retries it on its own,
                    // and the live one below still gets its events at once.
                    let dead = try await standInClient.execute(
                        uri: "/paymongo/v1/webhooks", method: .post,
                        headers: [.authorization: "Basic \(Data("sk_test_trusttrade_dev:".utf8).base64EncodedString())", .contentType: "application/json"],
                        body: try json(["data": ["attributes": [
                            "url": "http://127.0.0.1:1/v1/payments/webhook", "events": ["payment.paid", "payment.failed", "payment.refund.updated"],
                        ]]])) { $0 }
                    XCTAssertEqual(dead.status, .ok)
                    // Registered as one registers with PayMongo (its API), now the port is known.
                    let hook = try await standInClient.execute(
                        uri: "/paymongo/v1/webhooks", method: .post,
                        headers: [.authorization: "Basic \(Data("sk_test_trusttrade_dev:".utf8).base64EncodedString())", .contentType: "application/json"],
                        body: try json(["data": ["attributes": [
                            "url": "http://127.0.0.1:\(client.port!)/v1/payments/webhook", "events": ["payment.paid", "payment.failed", "payment.refund.updated"],
                        ]]])) { $0 }
                    XCTAssertEqual(hook.status, .ok)
                    try await body(System(auth: authClient, client: client, standIns: standInClient, paymentDB: paymentDB, redisURL: redisURL, logger: logger))
                }
            }
        }
    }

    static func json(_ object: Any) throws -> ByteBuffer { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)) }
    static func body(_ r: TestResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:] }

    static func signUp(_ auth: any TestClientProtocol, _ name: String) async throws -> (headers: HTTPFields, id: UUID) {
        let email = TestEnvironment.uniqueEmail("pay")
        _ = try await auth.execute(uri: "/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                                   body: try json(["email": email, "password": "Pancit-Canton-42", "fullName": name, "userType": "consumer"])) { $0 }
        let r = try await auth.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                       body: try json(["email": email, "password": "Pancit-Canton-42"])) { $0 }
        let data = try XCTUnwrap(body(r)["data"] as? [String: Any])
        let id = try XCTUnwrap(UUID(uuidString: (data["user"] as? [String: Any])?["id"] as? String ?? ""))
        return ([.authorization: "Bearer \(data["accessToken"] as! String)", .contentType: "application/json"], id)
    }

    static func eventually<T>(_ probe: () async throws -> T?) async throws -> T? {
        for _ in 0..<100 {
            if let v = try await probe() { return v }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    static func scenario(authClient: any TestClientProtocol, client: any TestClientProtocol, paymentDB: String, redisURL: String, logger: Logger) async throws {
        let consumer = try await signUp(authClient, "Liza Soberano")
        let provider = try await signUp(authClient, "Ramon Reyes")
        let stranger = try await signUp(authClient, "Maria Clara")
        let redis = try RedisClient(url: redisURL, logger: logger)
        let queue = JobQueue(name: "payment", redis: redis)

        // The core service accepted a booking for ₱1,200.00 (as its event says).
        let booking = BookingDTO(
            id: UUID(), consumerId: consumer.id, providerId: UUID(), providerUserId: provider.id, categoryId: UUID(), title: "Clean 2 split-type units",
            description: "", location: nil, scheduledDate: "2026-12-01T02:00:00Z", scheduledEnd: "2026-12-01T04:00:00Z", estimatedHours: 2,
            proposedRate: 60_000, estimatedTotal: 120_000, status: .accepted, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil,
            autoCompleteAt: nil, completedAt: nil, cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false,
            createdAt: "2026-11-25T00:00:00Z", updatedAt: "2026-11-25T00:00:00Z")
        _ = try await queue.add(EventType.bookingAccepted, data: EventEnvelope(
            type: EventType.bookingAccepted, requestId: nil, payload: BookingEvent(booking: booking, previousStatus: .pending, actor: .provider)))

        // The consumer pays with GCash (the escrow may take a moment to open).
        let create: [String: Any] = ["bookingId": booking.id.uuidString, "method": "gcash", "returnUrl": "https://app.trusttrade.test/paid"]
        let created = try await eventually { () -> [String: Any]? in
            let r = try await client.execute(uri: "/v1/payments/create", method: .post, headers: consumer.headers, body: try json(create)) { $0 }
            return r.status == .created ? body(r)["data"] as? [String: Any] : nil
        }
        let payment = try XCTUnwrap(created)
        XCTAssertEqual(payment["status"] as? String, "awaiting_next_action")
        XCTAssertEqual(payment["amount"] as? Int, 120_000)
        let redirect = try XCTUnwrap(payment["redirectUrl"] as? String)
        XCTAssertTrue(redirect.contains("/paymongo/checkout/"))
        // Asking again gives the same open try; others cannot pay or see it.
        var r = try await client.execute(uri: "/v1/payments/create", method: .post, headers: consumer.headers, body: try json(create)) { $0 }
        XCTAssertEqual(r.status, .ok)
        XCTAssertEqual((body(r)["data"] as? [String: Any])?["id"] as? String, payment["id"] as? String)
        r = try await client.execute(uri: "/v1/payments/create", method: .post, headers: stranger.headers, body: try json(create)) { $0 }
        XCTAssertEqual(r.status, .notFound)
        // Idempotency-Key: the first answer again; the same key for another request is a 422.
        var keyed = consumer.headers
        keyed[HTTPField.Name("Idempotency-Key")!] = "pay-\(booking.id)"
        let first = try await client.execute(uri: "/v1/payments/create", method: .post, headers: keyed, body: try json(create)) { $0 }
        let replay = try await client.execute(uri: "/v1/payments/create", method: .post, headers: keyed, body: try json(create)) { $0 }
        XCTAssertEqual(replay.headers[HTTPField.Name("Idempotent-Replayed")!], "true")
        XCTAssertEqual(replay.status, first.status)
        XCTAssertEqual(String(buffer: replay.body), String(buffer: first.body))
        var other = create
        other["method"] = "card"
        let reused = try await client.execute(uri: "/v1/payments/create", method: .post, headers: keyed, body: try json(other)) { $0 }
        XCTAssertEqual(reused.status, .unprocessableContent)
        r = try await client.execute(uri: "/v1/payments/create", method: .post, headers: consumer.headers,
                                     body: try json(["bookingId": "x", "method": "cash"])) { $0 }
        XCTAssertEqual(r.status, .badRequest)
        r = try await client.execute(uri: "/v1/payments/\(payment["id"] as! String)", method: .get, headers: stranger.headers) { $0 }
        XCTAssertEqual(r.status, .notFound)

        // The person authorizes on the checkout page; PayMongo sends them back and calls the webhook.
        var authorize = HTTPClientRequest(url: redirect + "/authorize")
        authorize.method = .POST
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let page = try await browser.execute(authorize, timeout: .seconds(10))
        try await browser.shutdown()
        XCTAssertEqual(page.status.code, 303)
        XCTAssertEqual(page.headers.first(name: "location"), "https://app.trusttrade.test/paid")

        let transactionId = try XCTUnwrap(UUID(uuidString: payment["transactionId"] as? String ?? ""))
        let held = try await eventually { () -> [String: Any]? in
            let r = try await client.execute(uri: "/v1/transactions/\(transactionId)", method: .get, headers: consumer.headers) { $0 }
            let t = body(r)["data"] as? [String: Any]
            return t?["escrowStatus"] as? String == "held" ? t : nil
        }
        XCTAssertEqual(held?["paymentMethod"] as? String, "gcash")
        XCTAssertEqual(held?["platformFee"] as? Int, 12_000)
        r = try await client.execute(uri: "/v1/transactions/\(transactionId)", method: .get, headers: stranger.headers) { $0 }
        XCTAssertEqual(r.status, .notFound)

        // Forged, stale and replayed webhooks change nothing.
        let event: [String: Any] = ["data": ["id": "evt_replayed_1", "type": "event", "attributes": [
            "type": "payment.paid", "livemode": false,
            "data": ["id": "pay_x", "type": "payment", "attributes": ["amount": 120_000, "status": "paid",
                     "payment_intent_id": payment["paymentIntentId"] as! String]]]]]
        let raw = Array(try JSONSerialization.data(withJSONObject: event))
        let now = Int64(Date().timeIntervalSince1970)
        func deliver(_ signature: String) async throws -> HTTPResponse.Status {
            try await client.execute(uri: "/v1/payments/webhook", method: .post,
                                     headers: [.contentType: "application/json", HTTPField.Name("Paymongo-Signature")!: signature],
                                     body: ByteBuffer(bytes: raw)) { $0 }.status
        }
        let forged = try await deliver(WebhookSignature.header(body: raw, secret: "whsk_wrong", liveMode: false, timestamp: now))
        XCTAssertEqual(forged, .unauthorized)
        let stale = try await deliver(WebhookSignature.header(body: raw, secret: webhookSecret, liveMode: false, timestamp: now - 301))
        XCTAssertEqual(stale, .unauthorized)
        for _ in 0..<10 {
            let ok = try await deliver(WebhookSignature.header(body: raw, secret: webhookSecret, liveMode: false, timestamp: now))
            XCTAssertEqual(ok, .ok)
        }

        // The booking completes: the escrow goes to the provider, minus 10 %.
        _ = try await queue.add(EventType.bookingCompleted, data: EventEnvelope(
            type: EventType.bookingCompleted, requestId: nil, payload: BookingEvent(booking: booking, previousStatus: .inProgress, actor: .consumer)))
        let released = try await eventually { () -> [String: Any]? in
            let r = try await client.execute(uri: "/v1/transactions/\(transactionId)", method: .get, headers: provider.headers) { $0 }
            let t = body(r)["data"] as? [String: Any]
            return t?["escrowStatus"] as? String == "released" ? t : nil
        }
        XCTAssertEqual(released?["releasedAmount"] as? Int, 120_000)

        // The ledger: one hold, one release, balanced; the provider is owed ₱1,080.00.
        try await TestEnvironment.withDatabase(paymentDB, logger: logger) { pg in
            let store = EscrowStore(client: pg, logger: logger, fees: FeePolicy(basisPoints: 1000, minimumCentavos: 2000), appBaseURL: "x")
            let sum = try await store.sum()
            XCTAssertEqual(sum, 0)
            let balance = try await store.availableBalance(providerUserId: provider.id)
            XCTAssertEqual(balance, 108_000)
            var holds = 0
            for try await n in try await pg.query("SELECT count(DISTINCT posting_id)::int FROM payment.ledger_entries WHERE kind = 'hold'", logger: logger).decode(Int.self) { holds = n }
            XCTAssertEqual(holds, 1, "the webhook replays held nothing more")
        }
    }

    /// Paid, then the booking is cancelled: the escrow goes back, at PayMongo too.
    func testACancelledPaidBookingIsRefundedThroughPayMongo() async throws {
        try await Self.withSystem("payrefund", redisDB: 15) { system in
            let consumer = try await Self.signUp(system.auth, "Bea Alonzo")
            let provider = try await Self.signUp(system.auth, "Coco Martin")
            let queue = JobQueue(name: "payment", redis: try RedisClient(url: system.redisURL, logger: system.logger))
            let booking = BookingDTO(
                id: UUID(), consumerId: consumer.id, providerId: UUID(), providerUserId: provider.id, categoryId: UUID(), title: "Fix the sink",
                description: "", location: nil, scheduledDate: "2026-12-02T02:00:00Z", scheduledEnd: "2026-12-02T03:00:00Z", estimatedHours: 1,
                proposedRate: 50_000, estimatedTotal: 50_000, status: .accepted, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil,
                autoCompleteAt: nil, completedAt: nil, cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false,
                createdAt: "2026-11-25T00:00:00Z", updatedAt: "2026-11-25T00:00:00Z")
            _ = try await queue.add(EventType.bookingAccepted, data: EventEnvelope(
                type: EventType.bookingAccepted, requestId: nil, payload: BookingEvent(booking: booking, previousStatus: .pending, actor: .provider)))
            let created = try await Self.eventually { () -> [String: Any]? in
                let r = try await system.client.execute(uri: "/v1/payments/create", method: .post, headers: consumer.headers,
                                                        body: try Self.json(["bookingId": booking.id.uuidString, "method": "card"])) { $0 }
                return r.status == .created ? Self.body(r)["data"] as? [String: Any] : nil
            }
            let payment = try XCTUnwrap(created)
            var authorize = HTTPClientRequest(url: (payment["redirectUrl"] as! String) + "/authorize")
            authorize.method = .POST
            let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            let page = try await browser.execute(authorize, timeout: .seconds(10))
            try await browser.shutdown()
            XCTAssertEqual(page.status.code, 303)
            XCTAssertEqual(page.headers.first(name: "location"), "http://localhost:3000/payments/return", "the configured default return page")
            let tid = payment["transactionId"] as! String
            let held = try await Self.eventually { () -> Bool? in
                let r = try await system.client.execute(uri: "/v1/transactions/\(tid)", method: .get, headers: consumer.headers) { $0 }
                return (Self.body(r)["data"] as? [String: Any])?["escrowStatus"] as? String == "held" ? true : nil
            }
            XCTAssertEqual(held, true)

            _ = try await queue.add(EventType.bookingCancelled, data: EventEnvelope(
                type: EventType.bookingCancelled, requestId: nil, payload: BookingEvent(booking: booking, previousStatus: .accepted, actor: .consumer)))
            let refundedAtPayMongo = try await Self.eventually { () -> Int? in
                let r = try await system.standIns.execute(
                    uri: "/paymongo/v1/payment_intents/\(payment["paymentIntentId"] as! String)", method: .get,
                    headers: [.authorization: "Basic \(Data("sk_test_trusttrade_dev:".utf8).base64EncodedString())"]) { $0 }
                let payments = ((Self.body(r)["data"] as? [String: Any])?["attributes"] as? [String: Any])?["payments"] as? [[String: Any]]
                let refunded = (payments?.first?["attributes"] as? [String: Any])?["refunded_amount"] as? Int
                return refunded == 50_000 ? refunded : nil
            }
            XCTAssertEqual(refundedAtPayMongo, 50_000, "PayMongo gave the consumer the ₱500.00 back")
            let r = try await system.client.execute(uri: "/v1/transactions/\(tid)", method: .get, headers: consumer.headers) { $0 }
            XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["escrowStatus"] as? String, "refunded")

            try await TestEnvironment.withDatabase(system.paymentDB, logger: system.logger) { pg in
                var total: Int64 = -1
                for try await n in try await pg.query("SELECT COALESCE(sum(amount), 0)::bigint FROM payment.ledger_entries", logger: system.logger).decode(Int64.self) { total = n }
                XCTAssertEqual(total, 0)
                // PayMongo settles the refund a moment later and says so by webhook.
                let status = try await Self.eventually { () -> String? in
                    for try await s in try await pg.query("SELECT status FROM payment.refunds", logger: system.logger).decode(String.self)
                    where s == "succeeded" { return s }
                    return nil
                }
                XCTAssertEqual(status, "succeeded")

                // The answer to the refund was lost (the worker died after
                // PayMongo made it): the retried job, sent twice, finds the
                // refund at PayMongo by our id and sends no money again.
                var first = ""
                var refundId = UUID()
                for try await (id, made) in try await pg.query("SELECT id, provider_refund_id FROM payment.refunds", logger: system.logger)
                    .decode((UUID, String).self) { (refundId, first) = (id, made) }
                try await pg.query("UPDATE payment.refunds SET status = 'pending', provider_refund_id = NULL", logger: system.logger)
                for _ in 0..<2 {
                    _ = try await queue.add(EventType.paymongoRefundRequested, data: EventEnvelope(
                        type: EventType.paymongoRefundRequested, requestId: nil, payload: RefundRequested(refundId: refundId)))
                }
                let again = try await Self.eventually { () -> String? in
                    for try await (s, made) in try await pg.query("SELECT status, provider_refund_id FROM payment.refunds", logger: system.logger)
                        .decode((String, String?).self) where s == "succeeded" { return made }
                    return nil
                }
                XCTAssertEqual(again, first, "the refund PayMongo already made")
            }
            let paymongoPayment = try await system.standIns.execute(
                uri: "/paymongo/v1/payment_intents/\(payment["paymentIntentId"] as! String)", method: .get, headers: Self.paymongoKey) { $0 }
            let paid = (((Self.body(paymongoPayment)["data"] as? [String: Any])?["attributes"] as? [String: Any])?["payments"] as? [[String: Any]])?.first
            let list = try await system.standIns.execute(
                uri: "/paymongo/v1/refunds?payment_id=\(paid?["id"] as? String ?? "")", method: .get, headers: Self.paymongoKey) { $0 }
            XCTAssertEqual((Self.body(list)["data"] as? [[String: Any]])?.count, 1, "one refund at PayMongo")
            XCTAssertEqual((paid?["attributes"] as? [String: Any])?["refunded_amount"] as? Int, 50_000)
        }
    }

    static let paymongoKey: HTTPFields = [.authorization: "Basic \(Data("sk_test_trusttrade_dev:".utf8).base64EncodedString())"]
}
