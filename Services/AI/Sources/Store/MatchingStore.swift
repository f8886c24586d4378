import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// Feeds the matching index from `ai.providers` (all at start, then what
/// changed every `interval`) and finds providers busy at a time. Every
/// instance keeps its own index, so each sees the changes whichever
/// instance took the event.
public struct MatchingStore: Service {
    let client: PostgresClient
    let logger: Logger
    let index: MatchingIndex
    let interval: Duration

    public init(client: PostgresClient, logger: Logger, index: MatchingIndex, interval: Duration = .seconds(2)) {
        self.client = client
        self.logger = logger
        self.index = index
        self.interval = interval
    }

    public func run() async throws {
        var since = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                since = try await load(changedAfter: since)
            } catch {
                logger.warning("matching index refresh failed", metadata: ["error": .string(String(describing: error))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Applies providers changed after `since`; answers the new mark. A row
    /// stamped before a slower transaction committed is read again (a 5 s
    /// overlap; the same version is skipped by the index).
    @discardableResult
    public func load(changedAfter since: Date) async throws -> Date {
        var mark = since
        let from = since == .distantPast ? since : since.addingTimeInterval(-5)
        var upserts: [MatchingIndex.Provider] = []
        var deleted: [UUID] = []
        let rows = try await client.query(
            """
            SELECT id, user_id, category_id, category_names, business_name, description, skills, latitude, longitude, hourly_rate, trust_score,
                deleted, changed_at
            FROM ai.providers WHERE changed_at > \(from) ORDER BY changed_at
            """, logger: logger)
        for try await (id, user, category, names, name, description, skills, lat, lon, rate, trust, gone, changed)
            in rows.decode((UUID, UUID, UUID, [String], String, String, [String], Double?, Double?, Int64, Int, Bool, Date).self) {
            mark = max(mark, changed)
            if gone {
                deleted.append(id)
                continue
            }
            let text = ([name, description] + skills + names).joined(separator: " ")
            upserts.append(MatchingIndex.Provider(id: id, userId: user, categoryId: category, categoryNames: names, businessName: name, text: text,
                                                  latitude: lat, longitude: lon, hourlyRate: rate, trustScore: trust, version: changed))
            if upserts.count == 5_000 {
                index.apply(upserts: upserts)
                upserts = []
            }
        }
        index.apply(upserts: upserts, deleted: deleted)
        return mark
    }

    /// Providers with an accepted or started booking overlapping the time.
    public func busy(from start: Date, to end: Date) async throws -> Set<UUID> {
        let rows = try await client.query(
            """
            SELECT DISTINCT provider_id FROM ai.bookings
            WHERE status IN ('accepted', 'in_progress') AND scheduled_date < \(end) AND scheduled_end > \(start)
            """, logger: logger)
        var ids: Set<UUID> = []
        for try await id in rows.decode(UUID.self) { ids.insert(id) }
        return ids
    }
}
