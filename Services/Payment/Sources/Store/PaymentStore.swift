import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.payments` and `payment.webhook_events`.
public struct PaymentStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The escrow's open try, if any (one at a time).
    public func openPayment(transactionId: UUID) async throws -> PaymentDTO? {
        try await Self.first(try await client.query(
            "\(unescaped: Self.select) WHERE p.transaction_id = \(transactionId) AND p.status = 'awaiting_next_action'", logger: logger))
    }

    public func find(id: UUID) async throws -> PaymentDTO? {
        try await Self.first(try await client.query("\(unescaped: Self.select) WHERE p.id = \(id)", logger: logger))
    }

    public func find(intentId: String) async throws -> PaymentDTO? {
        try await Self.first(try await client.query("\(unescaped: Self.select) WHERE p.intent_id = \(intentId)", logger: logger))
    }

    /// Records a try; nil when another try opened first (racing requests).
    public func insert(transactionId: UUID, intent: PayMongoClient.PaymentIntent, method: String) async throws -> PaymentDTO? {
        do {
            let rows = try await client.query(
                """
                INSERT INTO payment.payments (transaction_id, intent_id, client_key, method, amount, redirect_url)
                VALUES (\(transactionId), \(intent.id), \(intent.clientKey), \(method), \(intent.amount), \(intent.redirectURL))
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { return try await find(id: id) }
            return nil
        } catch let error as PSQLError where error.isUniqueViolation {
            return nil
        }
    }

    /// Marks the try's outcome once; answers whether this call changed it.
    public func settle(intentId: String, succeeded: Bool, providerPaymentId: String, reason: String?) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE payment.payments SET status = \(succeeded ? "succeeded" : "failed"), provider_payment_id = \(providerPaymentId),
                failure_reason = \(reason), updated_at = now()
            WHERE intent_id = \(intentId) AND status = 'awaiting_next_action' RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// Records a verified webhook event and queues its work (`job` on the
    /// `payment` queue), in one transaction; false when the event id was seen
    /// before (a replay).
    public func accept<P: Codable & Sendable>(eventId: String, type: String, job: EventEnvelope<P>) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "INSERT INTO payment.webhook_events (id, type) VALUES (\(eventId), \(type)) ON CONFLICT DO NOTHING RETURNING id",
                logger: logger)
            var fresh = false
            for try await _ in rows.decode(String.self) { fresh = true }
            guard fresh else { return false }
            try await outbox.publish(job, on: connection, logger: logger)
            return true
        }
    }

    static let select = """
        SELECT p.id, p.transaction_id, t.booking_id, p.method, p.amount, p.status, p.redirect_url, p.client_key, p.intent_id,
            p.created_at, p.updated_at
        FROM payment.payments p JOIN payment.transactions t ON t.id = p.transaction_id
        """

    static func first(_ rows: PostgresRowSequence) async throws -> PaymentDTO? {
        for try await (id, transaction, booking, method, amount, status, redirect, clientKey, intent, created, updated)
            in rows.decode((UUID, UUID, UUID, String, Int64, String, String?, String, String, Date, Date).self) {
            return PaymentDTO(id: id, transactionId: transaction, bookingId: booking, method: method, amount: amount, status: status,
                              redirectUrl: redirect, clientKey: clientKey, paymentIntentId: intent,
                              createdAt: ISO8601.string(from: created), updatedAt: ISO8601.string(from: updated))
        }
        return nil
    }
}

extension PaymentStore {
    public struct RefundRow: Sendable {
        public var id: UUID
        public var paymentId: String?
        public var amount: Int64
        public var reason: String
        public var status: String
    }

    public func refund(_ id: UUID) async throws -> RefundRow? {
        let rows = try await client.query(
            "SELECT id, provider_payment_id, amount, reason, status FROM payment.refunds WHERE id = \(id)", logger: logger)
        for try await (id, payment, amount, reason, status) in rows.decode((UUID, String?, Int64, String, String).self) {
            return RefundRow(id: id, paymentId: payment, amount: amount, reason: reason, status: status)
        }
        return nil
    }

    /// Runs `body` while no other worker runs it for this refund (a
    /// transaction-scoped advisory lock, released when `body` ends).
    public func exclusively(refund id: UUID, _ body: () async throws -> Void) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("refund:" + id.uuidString.lowercased())))", logger: logger)
            try await body()
        }
    }

    /// The refund was sent (PayMongo's `status`: pending → processing,
    /// succeeded) or refused (`failure`).
    public func finishRefund(_ id: UUID, providerRefundId: String?, status: String? = nil, failure: String?) async throws {
        let ours = failure != nil ? "failed" : status == "succeeded" ? "succeeded" : status == "failed" ? "failed" : "processing"
        try await client.query(
            """
            UPDATE payment.refunds SET status = \(ours), provider_refund_id = \(providerRefundId),
                failure_reason = \(failure), updated_at = now()
            WHERE id = \(id) AND status = 'pending'
            """, logger: logger)
    }

    /// PayMongo settled a refund it took; answers whether one of ours changed.
    public func refundSettled(providerRefundId: String, ours: UUID?, succeeded: Bool) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE payment.refunds SET status = \(succeeded ? "succeeded" : "failed"), provider_refund_id = \(providerRefundId),
                failure_reason = CASE WHEN \(succeeded) THEN NULL ELSE 'PayMongo could not complete the refund' END, updated_at = now()
            WHERE (provider_refund_id = \(providerRefundId) OR id = \(ours)) AND status IN ('pending', 'processing') RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }
}
