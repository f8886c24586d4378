import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `core.chat_rooms` and `core.chat_messages`. Only the room's two people
/// (never an outsider, whatever id they send) read or write.
public struct ChatStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum Failure: Error, Equatable {
        case notFound, unknownProvider, unknownBooking, ownProvider
        case forbidden(String)
    }

    /// Opens (or finds) the room. Answers the room and whether it is new.
    public func open(by user: Identity, providerId: UUID?, bookingId: UUID?) async throws -> (ChatRoomDTO, created: Bool) {
        let (consumer, provider, providerUser): (UUID, UUID, UUID)
        if let bookingId {
            let rows = try await client.query(
                "SELECT consumer_id, provider_id, provider_user_id FROM core.bookings WHERE id = \(bookingId)", logger: logger)
            var found: (UUID, UUID, UUID)?
            for try await row in rows.decode((UUID, UUID, UUID).self) { found = row }
            guard let found, found.0 == user.userId || found.2 == user.userId else { throw Failure.unknownBooking }
            if let providerId, providerId != found.1 { throw Failure.unknownBooking }
            (consumer, provider, providerUser) = found
        } else {
            guard let providerId else { throw Failure.unknownProvider }
            let rows = try await client.query(
                "SELECT user_id FROM core.providers WHERE id = \(providerId) AND deleted_at IS NULL", logger: logger)
            var owner: UUID?
            for try await row in rows.decode(UUID.self) { owner = row }
            guard let owner else { throw Failure.unknownProvider }
            guard owner != user.userId else { throw Failure.ownProvider }
            (consumer, provider, providerUser) = (user.userId, providerId, owner)
        }
        // Insert-or-find: racing opens of the same room end in the same row.
        let inserted = try await client.query(
            """
            INSERT INTO core.chat_rooms (consumer_id, provider_id, provider_user_id, booking_id)
            VALUES (\(consumer), \(provider), \(providerUser), \(bookingId))
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger)
        var newId: UUID?
        for try await id in inserted.decode(UUID.self) { newId = id }
        let id: UUID
        if let newId {
            id = newId
        } else {
            let existing = try await client.query(
                """
                SELECT id FROM core.chat_rooms
                WHERE (booking_id = \(bookingId)) OR (\(bookingId)::uuid IS NULL AND booking_id IS NULL
                      AND consumer_id = \(consumer) AND provider_id = \(provider))
                """, logger: logger)
            var found: UUID?
            for try await row in existing.decode(UUID.self) { found = row }
            guard let found else { throw Failure.notFound }
            id = found
        }
        guard let room = try await room(id, for: user.userId) else { throw Failure.notFound }
        return (room, newId != nil)
    }

    /// The room as `userId` sees it (nil: no such room, or not theirs).
    public func room(_ id: UUID, for userId: UUID) async throws -> ChatRoomDTO? {
        try await Self.rooms(try await client.query(
            """
            WITH viewer AS (SELECT \(userId)::uuid AS id) \(unescaped: Self.roomSelect)
            WHERE r.id = \(id) AND (r.consumer_id = \(userId) OR r.provider_user_id = \(userId))
            """,
            logger: logger), userId: userId).first
    }

    /// The caller's rooms, most recent conversation first.
    public func rooms(for userId: UUID, page: PageRequest) async throws -> ([ChatRoomDTO], Int) {
        let rows = try await client.query(
            """
            WITH viewer AS (SELECT \(userId)::uuid AS id)
            SELECT rooms.*, count(*) OVER ()::int AS total FROM (\(unescaped: Self.roomSelect)
                WHERE r.consumer_id = \(userId) OR r.provider_user_id = \(userId)) rooms
            ORDER BY COALESCE(rooms.last_message_at, rooms.created_at) DESC, rooms.id
            LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.room(from: $0, userId: userId) }
    }

    /// Stores a message from a participant; answers it with the room's two
    /// people (to deliver it to).
    public func send(_ draft: ChatMessageDraft, room id: UUID, from sender: UUID) async throws -> (ChatMessageDTO, [UUID]) {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE core.chat_rooms SET last_message_at = now(), last_message_preview = \(draft.preview)
                WHERE id = \(id) AND (consumer_id = \(sender) OR provider_user_id = \(sender))
                RETURNING consumer_id, provider_user_id
                """, logger: logger)
            var people: (UUID, UUID)?
            for try await row in rows.decode((UUID, UUID).self) { people = row }
            guard let people else { throw Failure.notFound }
            let inserted = try await connection.query(
                """
                INSERT INTO core.chat_messages (room_id, sender_id, type, content, file_id)
                VALUES (\(id), \(sender), \(draft.type.rawValue), \(draft.content), \(draft.fileId))
                RETURNING \(unescaped: Self.messageColumns)
                """, logger: logger)
            var message: ChatMessageDTO?
            for try await row in inserted { message = try Self.message(from: row) }
            // The sender has read their own message.
            try await connection.query(
                """
                UPDATE core.chat_rooms SET
                    consumer_read_seq = CASE WHEN consumer_id = \(sender) THEN \(ChatCursor.decode(message!.cursor)!) ELSE consumer_read_seq END,
                    provider_read_seq = CASE WHEN provider_user_id = \(sender) THEN \(ChatCursor.decode(message!.cursor)!) ELSE provider_read_seq END
                WHERE id = \(id)
                """, logger: logger)
            if draft.type == .text {
                // The AI service reads text messages for risks (paying outside the platform, scams).
                try await OutboxWriter(schema: "core").publish(
                    ChatMessageSent(ChatMessageEvent(message: message!)), requestId: nil, on: connection, logger: logger)
            }
            return (message!, [people.0, people.1])
        }
    }

    /// Messages newest first, older than `before` (a cursor) when given.
    public func messages(room id: UUID, for userId: UUID, before: Int64?, limit: Int) async throws -> ChatMessagePage {
        guard try await room(id, for: userId) != nil else { throw Failure.notFound }
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.messageColumns) FROM core.chat_messages
            WHERE room_id = \(id) AND (\(before)::bigint IS NULL OR seq < \(before))
            ORDER BY seq DESC LIMIT \(limit + 1)
            """, logger: logger)
        var messages: [ChatMessageDTO] = []
        for try await row in rows { messages.append(try Self.message(from: row)) }
        let more = messages.count > limit
        if more { messages.removeLast() }
        return ChatMessagePage(messages: messages, nextCursor: more ? messages.last?.cursor : nil)
    }

    /// Marks the room read up to `upTo` (default: its newest message); a
    /// read mark never moves back. Answers the mark and the other person.
    public func markRead(room id: UUID, by userId: UUID, upTo: Int64?) async throws -> (Int64, UUID) {
        let rows = try await client.query(
            """
            UPDATE core.chat_rooms r SET
                consumer_read_seq = CASE WHEN r.consumer_id = \(userId) THEN GREATEST(r.consumer_read_seq, m.seq) ELSE r.consumer_read_seq END,
                provider_read_seq = CASE WHEN r.provider_user_id = \(userId) THEN GREATEST(r.provider_read_seq, m.seq) ELSE r.provider_read_seq END
            FROM (SELECT COALESCE(max(seq), 0) AS seq FROM core.chat_messages
                  WHERE room_id = \(id) AND (\(upTo)::bigint IS NULL OR seq <= \(upTo))) m
            WHERE r.id = \(id) AND (r.consumer_id = \(userId) OR r.provider_user_id = \(userId))
            RETURNING CASE WHEN r.consumer_id = \(userId) THEN r.consumer_read_seq ELSE r.provider_read_seq END,
                      CASE WHEN r.consumer_id = \(userId) THEN r.provider_user_id ELSE r.consumer_id END
            """, logger: logger)
        for try await (seq, other) in rows.decode((Int64, UUID).self) { return (seq, other) }
        throw Failure.notFound
    }

    // MARK: Rows

    /// Needs a `viewer` CTE (the caller's id), for the unread count.
    static let roomSelect = """
        SELECT r.id, r.consumer_id, r.provider_id, r.provider_user_id, r.booking_id, c.full_name, p.business_name,
            r.consumer_read_seq, r.provider_read_seq, r.last_message_at, r.last_message_preview, r.created_at,
            (SELECT count(*)::int FROM core.chat_messages m WHERE m.room_id = r.id AND m.sender_id <> v.id
                AND m.seq > CASE WHEN r.consumer_id = v.id THEN r.consumer_read_seq ELSE r.provider_read_seq END) AS unread
        FROM core.chat_rooms r CROSS JOIN viewer v
            JOIN core.profiles c ON c.user_id = r.consumer_id JOIN core.providers p ON p.id = r.provider_id
        """

    static let messageColumns = "id, room_id, sender_id, type, content, file_id, seq, created_at"

    static func rooms(_ rows: PostgresRowSequence, userId: UUID) async throws -> [ChatRoomDTO] {
        var rooms: [ChatRoomDTO] = []
        for try await row in rows { rooms.append(try room(from: row, userId: userId)) }
        return rooms
    }

    static func room(from row: PostgresRow, userId: UUID) throws -> ChatRoomDTO {
        let c = PostgresRandomAccessRow(row)
        return ChatRoomDTO(
            id: try c["id"].decode(UUID.self), consumerId: try c["consumer_id"].decode(UUID.self),
            providerId: try c["provider_id"].decode(UUID.self), providerUserId: try c["provider_user_id"].decode(UUID.self),
            bookingId: try c["booking_id"].decode(UUID?.self)?.uuidString.lowercased(),
            consumerName: try c["full_name"].decode(String.self), providerName: try c["business_name"].decode(String.self),
            unreadCount: try c["unread"].decode(Int.self),
            lastMessageAt: try c["last_message_at"].decode(Date?.self).map(ISO8601.string(from:)),
            lastMessagePreview: try c["last_message_preview"].decode(String?.self),
            createdAt: ISO8601.string(from: try c["created_at"].decode(Date.self)))
    }

    static func message(from row: PostgresRow) throws -> ChatMessageDTO {
        let (id, room, sender, type, content, fileId, seq, created) = try row.decode((UUID, UUID, UUID, String, String, String?, Int64, Date).self)
        return ChatMessageDTO(
            id: id, roomId: room, senderId: sender, type: ChatMessageType(rawValue: type) ?? .text, content: content, fileId: fileId,
            cursor: ChatCursor.encode(seq), createdAt: ISO8601.string(from: created))
    }
}
