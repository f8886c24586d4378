import Foundation
import Logging
import PostgresNIO
import TrustTradeDTO
import TrustTradeEvents

/// Writes an event into the service's `outbox` table on the connection of
/// the transaction that makes the change, so the event exists if and only if
/// the change committed. A relay later moves it to the queue; the event id
/// is the job id there, so relaying twice adds nothing.
public struct OutboxWriter: Sendable {
    public let schema: String

    public init(schema: String) { self.schema = schema }

    /// Writes `event` for every queue that receives it (`Subscriptions.table`),
    /// one row per queue, each its own event (its own id, so its own job).
    /// `delay`: the job becomes runnable that long after the change committed
    /// (an expiry, a reminder).
    public func publish<E: Event>(
        _ event: E, requestId: String?, delay: Duration = .zero, on connection: PostgresConnection, logger: Logger
    ) async throws {
        for queue in Subscriptions.queues(for: E.self) {
            try await write(event.envelope(requestId: requestId), queue: queue, delay: delay, on: connection, logger: logger)
        }
    }

    /// Writes an envelope made elsewhere (a verified webhook's job) for the
    /// queues of its type; the first keeps the envelope's id.
    public func publish<P: Codable & Sendable>(
        _ envelope: EventEnvelope<P>, on connection: PostgresConnection, logger: Logger
    ) async throws {
        var copy = envelope
        for queue in Subscriptions.queues(forName: envelope.type) {
            try await write(copy, queue: queue, on: connection, logger: logger)
            copy.eventId = UUID()
        }
    }

    private func write<P: Codable & Sendable>(
        _ event: EventEnvelope<P>, queue: EventQueue, delay: Duration = .zero, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let payload = String(decoding: try APIJSON.encoder().encode(event), as: UTF8.self)
        let delayMs = max(0, delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).outbox (id, queue, event_type, payload, request_id, delay_ms)
            VALUES (\(event.eventId), \(queue.name), \(event.type), \(payload)::jsonb, \(event.requestId), \(delayMs))
            """,
            logger: logger
        )
    }
}

extension PSQLError {
    /// True for a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool {
        serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw
    }

    /// A referenced row does not exist (SQLSTATE 23503).
    public var isForeignKeyViolation: Bool {
        serverInfo?[.sqlState] == "23503"
    }
}
