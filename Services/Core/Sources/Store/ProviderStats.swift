import Foundation
import Logging
import PostgresNIO

/// A provider's figures (rating, reviews, jobs, completion rate), recomputed
/// from the rows inside the transaction that changed them.
enum ProviderStats {
    /// Locks the provider row first, in its own statement, so the recount
    /// (a later statement, hence a later snapshot) sees every transaction
    /// that changed the same provider before this one: concurrent reviews or
    /// completions never overwrite each other's sums. `NO KEY UPDATE`, the
    /// lock an UPDATE takes anyway, does not wait on the key-share locks that
    /// other transactions' foreign keys hold on the row (no deadlock).
    static func refresh(providerId: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        // Read the rows: a lock wait's outcome arrives with them.
        for try await _ in try await connection.query(
            "SELECT id FROM core.providers WHERE id = \(providerId) FOR NO KEY UPDATE", logger: logger).decode(UUID.self) {}
        try await connection.query(
            """
            UPDATE core.providers p SET
                avg_rating = COALESCE(r.avg, 0), total_reviews = r.n,
                total_jobs_completed = b.completed,
                completion_rate = CASE WHEN b.settled = 0 THEN 0 ELSE round(100.0 * b.completed / b.settled, 2) END,
                updated_at = now()
            FROM (SELECT round(avg(rating), 2) AS avg, count(*)::int AS n FROM core.reviews
                  WHERE provider_id = \(providerId) AND deleted_at IS NULL) r,
                 -- Of the jobs the provider accepted and that ended, how many were finished.
                 (SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed,
                         count(*) FILTER (WHERE status IN ('completed', 'cancelled') AND accepted_at IS NOT NULL)::int AS settled
                  FROM core.bookings WHERE provider_id = \(providerId)) b
            WHERE p.id = \(providerId)
            """, logger: logger)
    }
}
