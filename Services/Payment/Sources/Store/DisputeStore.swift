import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.disputes`: opening one freezes the escrow's release (and the
/// booking's automatic completion, through `dispute.opened` to core); an
/// admin's resolution moves the money and lifts both, in one transaction.
public struct DisputeStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let escrow: EscrowStore
    let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger, escrow: EscrowStore) {
        self.client = client
        self.logger = logger
        self.escrow = escrow
    }

    public enum Failure: Error, Equatable {
        case notFound, notHeld(String), alreadyOpen, resolved, badRefund(Int64)
    }

    public enum Outcome: String, Sendable { case release, refund, partial }

    public func open(by consumer: UUID, transactionId: UUID, reason: String, requestId: String?) async throws -> DisputeDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                guard let t = try await EscrowStore.first(try await connection.query(
                    "SELECT \(unescaped: EscrowStore.columns) FROM payment.transactions WHERE id = \(transactionId) FOR UPDATE", logger: logger)),
                      t.consumerId == consumer
                else { throw Failure.notFound }
                guard t.escrowStatus == EscrowStatus.held.rawValue else { throw Failure.notHeld(t.escrowStatus) }
                let rows = try await connection.query(
                    """
                    INSERT INTO payment.disputes (transaction_id, opened_by, reason) VALUES (\(transactionId), \(consumer), \(reason))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                let dispute = try await Self.first(rows)!
                try await connection.query(
                    "UPDATE payment.transactions SET disputed = true, updated_at = now() WHERE id = \(transactionId)", logger: logger)
                // Core holds the booking's completion; the AI counts it against trust.
                try await outbox.publish(
                    DisputeOpened(BookingDisputeEvent(bookingId: t.bookingId, open: true)), requestId: requestId, on: connection, logger: logger)
                return dispute
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw Failure.alreadyOpen
        }
    }

    public func resolve(id: UUID, by admin: UUID, outcome: Outcome, refundAmount: Int64?, note: String?, requestId: String?) async throws -> DisputeDTO {
        try await client.transaction(logger: logger) { connection in
            guard let dispute = try await Self.first(try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM payment.disputes WHERE id = \(id) FOR UPDATE", logger: logger))
            else { throw Failure.notFound }
            guard dispute.status == "open" else { throw Failure.resolved }
            let rows = try await connection.query(
                "UPDATE payment.transactions SET disputed = false, updated_at = now() WHERE id = \(dispute.transactionId) RETURNING booking_id",
                logger: logger)
            var bookingId: UUID?
            for try await b in rows.decode(UUID.self) { bookingId = b }
            do {
                switch outcome {
                case .release:
                    _ = try await escrow.apply(.release, id: dispute.transactionId, method: nil, requestId: requestId, on: connection)
                case .refund:
                    _ = try await escrow.apply(.refund(nil), id: dispute.transactionId, method: nil, requestId: requestId, on: connection)
                case .partial:
                    let refunded = try await escrow.apply(.refund(refundAmount), id: dispute.transactionId, method: nil, requestId: requestId, on: connection)
                    // A "partial" refund of all that remained leaves nothing to release.
                    if refunded.escrowStatus == EscrowStatus.held.rawValue {
                        _ = try await escrow.apply(.release, id: dispute.transactionId, method: nil, requestId: requestId, on: connection)
                    }
                }
            } catch EscrowStore.Failure.move(.badRefund(let remaining)) {
                throw Failure.badRefund(remaining)
            } catch EscrowStore.Failure.move(.illegal(_, let status)) {
                // An admin refunded the escrow by hand while the dispute was open.
                throw Failure.notHeld(status.rawValue)
            }
            let resolved = try await Self.first(try await connection.query(
                """
                UPDATE payment.disputes SET status = 'resolved', outcome = \(outcome.rawValue), refund_amount = \(refundAmount),
                    resolved_by = \(admin), resolution_note = \(note), resolved_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger))!
            if let bookingId {
                try await outbox.publish(
                    DisputeClosed(BookingDisputeEvent(bookingId: bookingId, open: false)), requestId: requestId, on: connection, logger: logger)
            }
            return resolved
        }
    }

    /// The dispute, if `viewer` is one of the escrow's two people or an admin.
    public func find(id: UUID, viewer: Identity) async throws -> DisputeDTO? {
        let rows = try await client.query(
            """
            SELECT d.id, d.transaction_id, d.opened_by, d.reason, d.status, d.outcome, d.refund_amount, d.resolution_note, d.created_at, d.resolved_at
            FROM payment.disputes d JOIN payment.transactions t ON t.id = d.transaction_id
            WHERE d.id = \(id) AND (\(viewer.isAdmin) OR t.consumer_id = \(viewer.userId) OR t.provider_user_id = \(viewer.userId))
            """, logger: logger)
        return try await Self.first(rows)
    }

    static let columns = "id, transaction_id, opened_by, reason, status, outcome, refund_amount, resolution_note, created_at, resolved_at"

    static func first(_ rows: PostgresRowSequence) async throws -> DisputeDTO? {
        for try await (id, t, by, reason, status, outcome, refund, note, created, resolved)
            in rows.decode((UUID, UUID, UUID, String, String, String?, Int64?, String?, Date, Date?).self) {
            return DisputeDTO(id: id, transactionId: t, openedBy: by, reason: reason, status: status, outcome: outcome, refundAmount: refund,
                              resolutionNote: note, createdAt: ISO8601.string(from: created), resolvedAt: resolved.map(ISO8601.string(from:)))
        }
        return nil
    }
}
