import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// `ai.models`: versions of the completion model; one is active.
public struct ModelStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func active() async throws -> CompletionModel? {
        let rows = try await client.query(
            "SELECT version, weights::text, auc, samples, source FROM ai.models WHERE kind = 'completion' AND active", logger: logger)
        for try await (version, weights, auc, samples, source) in rows.decode((Int, String, Double, Int, String).self) {
            return CompletionModel(version: version, weights: try JSONDecoder().decode([Double].self, from: Data(weights.utf8)), auc: auc,
                                   samples: samples, source: source)
        }
        return nil
    }

    /// Stores a new version (the next number); `activate` makes it the one predictions use.
    public func save(_ model: CompletionModel, activate: Bool) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            var next = 1
            for try await v in try await connection.query("SELECT COALESCE(max(version), 0) + 1 FROM ai.models", logger: logger).decode(Int.self) {
                next = v
            }
            if activate { try await connection.query("UPDATE ai.models SET active = false WHERE kind = 'completion' AND active", logger: logger) }
            let weights = String(decoding: try JSONEncoder().encode(model.weights), as: UTF8.self)
            try await connection.query(
                """
                INSERT INTO ai.models (version, kind, weights, auc, samples, source, active)
                VALUES (\(next), 'completion', \(weights)::jsonb, \(model.auc), \(model.samples), \(model.source), \(activate))
                """, logger: logger)
            return next
        }
    }

    /// The platform's finished bookings as training samples: label 1 when
    /// completed without a dispute, 0 when the provider called it off or it
    /// was disputed; features from the provider's record without that booking.
    public func platformSamples(now: Date = Date()) async throws -> [(x: [Double], y: Int)] {
        try await client.withConnection { connection in
            var providers: [UUID] = []
            for try await id in try await connection.query(
                "SELECT DISTINCT provider_id FROM ai.bookings WHERE status IN ('completed', 'cancelled') OR ever_disputed", logger: logger)
                .decode(UUID.self) { providers.append(id) }
            var samples: [(x: [Double], y: Int)] = []
            for provider in providers {
                guard let (record, _) = try await TrustStore.inputs(providerId: provider, now: now, on: connection, logger: logger) else { continue }
                let rows = try await connection.query(
                    """
                    SELECT b.status, b.cancelled_by, b.answered_at IS NOT NULL, b.ever_disputed, b.amount,
                        COALESCE(LEAST(24, GREATEST(0, extract(epoch FROM b.answered_at - b.created_at) / 3600)), 0)::float8,
                        (SELECT rating FROM ai.reviews r WHERE r.booking_id = b.id AND NOT r.deleted LIMIT 1)
                    FROM ai.bookings b
                    WHERE b.provider_id = \(provider) AND (b.status = 'completed' OR (b.status = 'cancelled' AND b.cancelled_by = 'provider'
                        AND b.answered_at IS NOT NULL) OR b.ever_disputed)
                    """, logger: logger)
                for try await (status, by, answered, disputed, amount, hours, rating) in rows.decode((String, String?, Bool, Bool, Int64, Double, Int?).self) {
                    var i = record
                    if status == "completed" { i.completed -= 1 }
                    if status == "cancelled" && by == "provider" && answered { i.providerCancelled -= 1 }
                    if disputed { i.disputed -= 1 }
                    if answered {
                        i.answered -= 1
                        i.responseHours -= hours
                    }
                    if let rating {
                        i.reviews -= 1
                        i.ratingSum -= rating
                    }
                    samples.append((CompletionModel.features(i, amount: amount), status == "completed" && !disputed ? 1 : 0))
                }
            }
            return samples
        }
    }
}
