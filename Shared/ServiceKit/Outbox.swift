import Foundation
import Logging
import PostgresNIO
import TrustTradeDTO

/// Writes an event into the service's `outbox` table on the connection of
/// the transaction that makes the change, so the event exists if and only if
/// the change committed. A relay later moves it to the queue; the event id
/// is the job id there, so relaying twice adds nothing.
public struct OutboxWriter: Sendable {
    public let schema: String

    public init(schema: String) { self.schema = schema }

    /// `delay`: the job becomes runnable that long after the change committed
    /// (an expiry, a reminder).
    public func enqueue<P: Codable & Sendable>(
        _ event: EventEnvelope<P>, queue: String, delay: Duration = .zero, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let payload = String(decoding: try APIJSON.encoder().encode(event), as: UTF8.self)
        let delayMs = max(0, delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).outbox (id, queue, event_type, payload, request_id, delay_ms)
            VALUES (\(event.eventId), \(queue), \(event.type), \(payload)::jsonb, \(event.requestId), \(delayMs))
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
