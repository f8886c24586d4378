import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// `ai.moderation_items`: high-risk reviews and chat messages for admins.
public struct ModerationStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum Failure: Error { case notFound, decided(String) }

    /// Files the text when it is high-risk (once per source item; an edit
    /// that is still risky updates the open item).
    static func screen(source: String, sourceId: UUID, author: UUID, text: String, on connection: PostgresConnection, logger: Logger) async throws {
        let report = RiskFlags.analyze(text)
        guard report.level == .high else { return }
        let flags = String(decoding: try APIJSON.encoder().encode(report.flags.map { RiskFlagDTO(kind: $0.kind.rawValue, evidence: $0.evidence) }),
                           as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO ai.moderation_items (source, source_id, author_id, text, flags, risk_level)
            VALUES (\(source), \(sourceId), \(author), \(String(text.prefix(2_000))), \(flags)::jsonb, \(report.level.rawValue))
            ON CONFLICT (source, source_id) DO UPDATE SET text = EXCLUDED.text, flags = EXCLUDED.flags
            WHERE ai.moderation_items.status = 'open'
            """, logger: logger)
    }

    /// The `chat.message-sent` job.
    public func screen(_ event: EventEnvelope<ChatMessageEvent>) async throws {
        let m = event.payload.message
        try await client.withConnection { connection in
            try await Self.screen(source: "chat", sourceId: m.id, author: m.senderId, text: m.content, on: connection, logger: logger)
        }
    }

    public func list(status: String, page: PageRequest) async throws -> ([ModerationItemDTO], Int) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total FROM ai.moderation_items WHERE status = \(status)
            ORDER BY created_at, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.item(from: $0) }
    }

    public func resolve(id: UUID, dismiss: Bool, admin: UUID, note: String?) async throws -> ModerationItemDTO {
        try await client.transaction(logger: logger) { connection in
            var status: String?
            for try await s in try await connection.query("SELECT status FROM ai.moderation_items WHERE id = \(id) FOR UPDATE", logger: logger)
                .decode(String.self) { status = s }
            guard let status else { throw Failure.notFound }
            guard status == "open" else { throw Failure.decided(status) }
            let rows = try await connection.query(
                """
                UPDATE ai.moderation_items SET status = \(dismiss ? "dismissed" : "actioned"), note = \(note), decided_by = \(admin), decided_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            for try await row in rows { return try Self.item(from: row) }
            throw Failure.notFound
        }
    }

    static let columns = "id, source, source_id, author_id, text, flags::text, risk_level, status, note, created_at, decided_at"

    static func item(from row: PostgresRow) throws -> ModerationItemDTO {
        let (id, source, sourceId, author, text, flags, level, status, note, created, decided) =
            try row.decode((UUID, String, UUID, UUID, String, String, String, String, String?, Date, Date?).self)
        return ModerationItemDTO(
            id: id, source: source, sourceId: sourceId, authorId: author, text: text,
            flags: (try? APIJSON.decoder().decode([RiskFlagDTO].self, from: Data(flags.utf8))) ?? [], riskLevel: level, status: status,
            note: note, createdAt: ISO8601.string(from: created), decidedAt: decided.map(ISO8601.string(from:)))
    }
}
