import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// One inbox entry as the API shows it.
public struct NotificationDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var type: String
    public var title: String
    public var body: String
    public var data: [String: String]
    public var read: Bool
    public var readAt: String?
    public var createdAt: String
}

public struct Recipient: Sendable, Equatable {
    public var userId: UUID
    public var email: String?
    public var phone: String?
    public var fullName: String?
    public var language: Language

    public init(userId: UUID, email: String?, phone: String?, fullName: String?, language: Language) {
        self.userId = userId
        self.email = email
        self.phone = phone
        self.fullName = fullName
        self.language = language
    }
}

/// The notification schema: inbox, recipients, device tokens, preferences, deliveries.
public struct NotificationStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: Inbox

    /// Adds to a user's inbox once per job.
    /// Postgres text and jsonb refuse NUL (`\u0000`): a variable that carried
    /// one (from an admin's send or another service's text) loses it here
    /// instead of failing the job on every retry.
    public func addToInbox(userId: UUID, kind: NotificationKind, title: String, body: String, data: [String: String], jobId: String) async throws {
        func clean(_ s: String) -> String { s.utf8.contains(0) ? s.replacingOccurrences(of: "\u{0}", with: "") : s }
        let title = clean(title), body = clean(body)
        let data = Dictionary(data.map { (clean($0.key), clean($0.value)) }, uniquingKeysWith: { first, _ in first })
        let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        try await client.query(
            """
            INSERT INTO notification.notifications (user_id, type, title, body, data, source_job_id)
            VALUES (\(userId), \(kind.rawValue), \(title), \(body), \(json)::jsonb, \(jobId))
            ON CONFLICT (source_job_id, user_id) DO NOTHING
            """,
            logger: logger
        )
    }

    public func inbox(userId: UUID, unreadOnly: Bool, page: PageRequest) async throws -> ([NotificationDTO], Int) {
        let rows = try await client.query(
            """
            SELECT id, type, title, body, data::text, read_at, created_at, count(*) OVER ()::int
            FROM notification.notifications
            WHERE user_id = \(userId) AND deleted_at IS NULL AND (\(!unreadOnly) OR read_at IS NULL)
            ORDER BY created_at DESC, id
            LIMIT \(page.limit) OFFSET \(page.offset)
            """,
            logger: logger
        )
        var items: [NotificationDTO] = []
        var total = 0
        for try await (id, type, title, body, data, readAt, createdAt, count) in rows.decode((UUID, String, String, String, String, Date?, Date, Int).self) {
            total = count
            let fields = (try? JSONDecoder().decode([String: String].self, from: Data(data.utf8))) ?? [:]
            items.append(NotificationDTO(
                id: id, type: type, title: title, body: body, data: fields, read: readAt != nil,
                readAt: readAt.map(ISO8601.string(from:)), createdAt: ISO8601.string(from: createdAt)
            ))
        }
        if items.isEmpty && page.page > 1 {
            // Past the last page: still report the true total.
            for try await c in try await client.query(
                "SELECT count(*)::int FROM notification.notifications WHERE user_id = \(userId) AND deleted_at IS NULL AND (\(!unreadOnly) OR read_at IS NULL)",
                logger: logger
            ).decode(Int.self) { total = c }
        }
        return (items, total)
    }

    /// Marks one of the user's notifications read; false when it is not theirs or gone.
    public func markRead(id: UUID, userId: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE notification.notifications SET read_at = coalesce(read_at, now())
            WHERE id = \(id) AND user_id = \(userId) AND deleted_at IS NULL RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    public func markAllRead(userId: UUID) async throws -> Int {
        let rows = try await client.query(
            """
            UPDATE notification.notifications SET read_at = now()
            WHERE user_id = \(userId) AND read_at IS NULL AND deleted_at IS NULL RETURNING id
            """,
            logger: logger
        )
        var n = 0
        for try await _ in rows.decode(UUID.self) { n += 1 }
        return n
    }

    public func delete(id: UUID, userId: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE notification.notifications SET deleted_at = now()
            WHERE id = \(id) AND user_id = \(userId) AND deleted_at IS NULL RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    // MARK: Recipients

    public func saveRecipient(_ r: Recipient) async throws {
        try await client.query(
            """
            INSERT INTO notification.recipients (user_id, email, phone, full_name, locale)
            VALUES (\(r.userId), \(r.email), \(r.phone), \(r.fullName), \(r.language.rawValue))
            ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone,
                full_name = EXCLUDED.full_name, updated_at = now()
            """,
            logger: logger
        )
    }

    public func recipient(_ userId: UUID) async throws -> Recipient? {
        let rows = try await client.query(
            "SELECT email, phone, full_name, locale FROM notification.recipients WHERE user_id = \(userId)", logger: logger
        )
        for try await (email, phone, name, locale) in rows.decode((String?, String?, String?, String).self) {
            return Recipient(userId: userId, email: email, phone: phone, fullName: name, language: Language(rawValue: locale) ?? .en)
        }
        return nil
    }

    public func setLanguage(userId: UUID, _ language: Language) async throws {
        try await client.query(
            """
            INSERT INTO notification.recipients (user_id, locale) VALUES (\(userId), \(language.rawValue))
            ON CONFLICT (user_id) DO UPDATE SET locale = EXCLUDED.locale, updated_at = now()
            """,
            logger: logger
        )
    }

    // MARK: Devices

    public func registerDevice(userId: UUID, token: String, platform: String) async throws {
        // A token moves to whoever signs in on that device last.
        try await client.query(
            """
            INSERT INTO notification.device_tokens (token, user_id, platform) VALUES (\(token), \(userId), \(platform))
            ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, last_seen_at = now()
            """,
            logger: logger
        )
    }

    public func deviceTokens(userId: UUID) async throws -> [String] {
        let rows = try await client.query(
            "SELECT token FROM notification.device_tokens WHERE user_id = \(userId) ORDER BY last_seen_at DESC LIMIT 10", logger: logger
        )
        var tokens: [String] = []
        for try await t in rows.decode(String.self) { tokens.append(t) }
        return tokens
    }

    public func removeDevice(token: String) async throws {
        try await client.query("DELETE FROM notification.device_tokens WHERE token = \(token)", logger: logger)
    }

    // MARK: Preferences

    public func disabledChannels(userId: UUID, kind: NotificationKind) async throws -> Set<Channel> {
        let rows = try await client.query(
            "SELECT channel FROM notification.preferences WHERE user_id = \(userId) AND type = \(kind.rawValue) AND NOT enabled",
            logger: logger
        )
        var off: Set<Channel> = []
        for try await c in rows.decode(String.self) { if let ch = Channel(rawValue: c) { off.insert(ch) } }
        return off
    }

    public func preferences(userId: UUID) async throws -> [String: [String: Bool]] {
        var result: [String: [String: Bool]] = [:]
        for kind in NotificationKind.allCases {
            result[kind.rawValue] = Dictionary(uniqueKeysWithValues: [Channel.push, .email, .sms].map { ($0.rawValue, kind.defaultChannels.contains($0)) })
        }
        let rows = try await client.query(
            "SELECT type, channel, enabled FROM notification.preferences WHERE user_id = \(userId)", logger: logger
        )
        for try await (type, channel, enabled) in rows.decode((String, String, Bool).self) {
            result[type, default: [:]][channel] = enabled
        }
        return result
    }

    public func setPreference(userId: UUID, kind: NotificationKind, channel: Channel, enabled: Bool) async throws {
        try await client.query(
            """
            INSERT INTO notification.preferences (user_id, type, channel, enabled) VALUES (\(userId), \(kind.rawValue), \(channel.rawValue), \(enabled))
            ON CONFLICT (user_id, type, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()
            """,
            logger: logger
        )
    }

    // MARK: Deliveries (idempotency of sends)

    /// Claims a send for (job, channel, recipient). False when an earlier run
    /// of the same job already sent it, so a retried job sends nothing twice.
    public func claimDelivery(jobId: String, channel: Channel, recipient: String, template: String) async throws -> Bool {
        let rows = try await client.query(
            """
            INSERT INTO notification.deliveries (job_id, channel, recipient, template, status, attempts)
            VALUES (\(jobId), \(channel.rawValue), \(recipient), \(template), 'sending', 1)
            ON CONFLICT (job_id, channel, recipient) DO UPDATE
                SET attempts = notification.deliveries.attempts + 1, updated_at = now()
                WHERE notification.deliveries.status IN ('sending', 'failed')
            RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    public func finishDelivery(jobId: String, channel: Channel, recipient: String, status: String, providerId: String?, error: String?) async throws {
        try await client.query(
            """
            UPDATE notification.deliveries SET status = \(status), provider_message_id = \(providerId), error = \(error), updated_at = now()
            WHERE job_id = \(jobId) AND channel = \(channel.rawValue) AND recipient = \(recipient)
            """,
            logger: logger
        )
    }
}
