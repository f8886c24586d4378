import Foundation
import Logging
import PostgresNIO
import Queue
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// Trust scores from events: each event once (`ai.processed_events`), applied
/// to the read model and the provider's score recomputed in the same
/// transaction; a change writes `trust_scores_history` and tells core
/// (`trust-score.changed`), through the outbox.
public struct TrustStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let outbox = OutboxWriter(schema: "ai")

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// A provider's profile changed or went (core). Each event below answers
    /// the provider whose score was looked at (nil: seen before).
    @discardableResult
    public func provider(_ event: EventEnvelope<ProviderEvent>) async throws -> UUID? {
        try await once(event) { connection in
            try await ReadModelStore.apply(event.payload, on: connection, logger: logger)
            return event.payload.provider.id
        }
    }

    /// A step in a booking's life (core).
    @discardableResult
    public func booking(_ event: EventEnvelope<BookingEvent>) async throws -> UUID? {
        let occurred = ISO8601.date(from: event.occurredAt) ?? Date()
        return try await once(event) { connection in
            try await ReadModelStore.apply(event.payload, at: occurred, on: connection, logger: logger)
            return event.payload.booking.providerId
        }
    }

    /// A review written, changed or removed (core); its text is screened too.
    @discardableResult
    public func review(_ event: EventEnvelope<ReviewEvent>, deleted: Bool) async throws -> UUID? {
        try await once(event) { connection in
            let review = event.payload.review
            try await ReadModelStore.apply(review, deleted: deleted, on: connection, logger: logger)
            if !deleted {
                try await ModerationStore.screen(source: "review", sourceId: review.id, author: review.reviewerId,
                                                 text: review.title + "\n" + review.content, on: connection, logger: logger)
            }
            return review.providerId
        }
    }

    /// A dispute opened or closed (payment).
    @discardableResult
    public func dispute(_ event: EventEnvelope<BookingDisputeEvent>) async throws -> UUID? {
        try await once(event) { connection in
            guard let provider = try await ReadModelStore.setDisputed(
                bookingId: event.payload.bookingId, open: event.payload.open, on: connection, logger: logger)
            else {
                // The booking's own events have not arrived yet: try again later.
                throw NotYet(bookingId: event.payload.bookingId)
            }
            return provider
        }
    }

    /// `apply` the event once, and recompute the provider's score it names,
    /// for the reason of the event's type.
    func once<P>(_ event: EventEnvelope<P>, _ apply: @Sendable (PostgresConnection) async throws -> UUID) async throws -> UUID? {
        try await once(event.eventId, event.type, apply) { id, connection in
            try await recalculate(providerId: id, reason: event.type, requestId: event.requestId, on: connection)
        }
    }

    struct NotYet: Error { let bookingId: UUID }

    /// Runs `apply` and `recalculate` in one transaction, unless the event
    /// was processed before.
    func once(_ eventId: UUID, _ type: String, _ apply: @Sendable (PostgresConnection) async throws -> UUID,
              recalculate: @Sendable (UUID, PostgresConnection) async throws -> Void) async throws -> UUID? {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "INSERT INTO ai.processed_events (event_id, type) VALUES (\(eventId), \(type)) ON CONFLICT DO NOTHING RETURNING event_id",
                logger: logger)
            var fresh = false
            for try await _ in rows.decode(UUID.self) { fresh = true }
            guard fresh else { return nil }
            let provider = try await apply(connection)
            try await recalculate(provider, connection)
            return provider
        }
    }

    /// Recomputes a provider's score now (an admin or a service asks).
    public func recalculate(userId: UUID, requestId: String?) async throws -> TrustScoreDTO? {
        let found = try await client.withConnection { try await Self.providerId(userId: userId, on: $0, logger: logger) }
        guard let providerId = found else { return nil }
        try await client.transaction(logger: logger) { connection in
            try await recalculate(providerId: providerId, reason: "recalculated on request", requestId: requestId, on: connection)
        }
        return try await score(userId: userId)
    }

    /// The provider's score from the read model; history and core's copy on change.
    func recalculate(providerId: UUID, reason: String, requestId: String?, now: Date = Date(), on connection: PostgresConnection) async throws {
        // One recalculation per provider at a time: the later one sees the earlier's result.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("trust:" + providerId.uuidString.lowercased())))", logger: logger)
        guard let (inputs, userId) = try await Self.inputs(providerId: providerId, now: now, on: connection, logger: logger) else { return }
        let (score, factors) = TrustScoreModel.score(inputs)
        var old: Int?
        for try await s in try await connection.query("SELECT score FROM ai.trust_scores WHERE provider_id = \(providerId)", logger: logger)
            .decode(Int.self) { old = s }
        let factorsJSON = String(decoding: try APIJSON.encoder().encode(factors), as: UTF8.self)
        let inputsJSON = String(decoding: try APIJSON.encoder().encode(inputs), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO ai.trust_scores (provider_id, user_id, score, factors, inputs, updated_at)
            VALUES (\(providerId), \(userId), \(score), \(factorsJSON)::jsonb, \(inputsJSON)::jsonb, now())
            ON CONFLICT (provider_id) DO UPDATE SET user_id = EXCLUDED.user_id, score = EXCLUDED.score, factors = EXCLUDED.factors,
                inputs = EXCLUDED.inputs, updated_at = now()
            """, logger: logger)
        // Matching's copy, even when the score itself did not move (the provider row may be newer than the score).
        try await connection.query(
            """
            UPDATE ai.providers SET trust_score = \(score), changed_at = clock_timestamp() WHERE id = \(providerId) AND trust_score <> \(score)
            """, logger: logger)
        guard old != score else { return }
        try await connection.query(
            """
            INSERT INTO ai.trust_scores_history (user_id, provider_id, old_score, new_score, change_reason, factors)
            VALUES (\(userId), \(providerId), \(old), \(score), \(reason), \(factorsJSON)::jsonb)
            """, logger: logger)
        try await outbox.publish(
            TrustScoreChanged(providerId: providerId, userId: userId, score: score), requestId: requestId, on: connection, logger: logger)
    }

    /// What the read model says of the provider; nil when it knows nothing.
    static func inputs(providerId: UUID, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> (TrustInputs, UUID)? {
        let rows = try await connection.query(
            """
            SELECT
                COALESCE((SELECT user_id FROM ai.providers WHERE id = \(providerId)),
                         (SELECT provider_user_id FROM ai.bookings WHERE provider_id = \(providerId) LIMIT 1)),
                COALESCE((SELECT created_at FROM ai.providers WHERE id = \(providerId)),
                         (SELECT min(created_at) FROM ai.bookings WHERE provider_id = \(providerId))),
                count(*) FILTER (WHERE b.status = 'completed')::int,
                count(*) FILTER (WHERE b.status = 'cancelled' AND b.cancelled_by = 'provider' AND b.answered_at IS NOT NULL)::int,
                count(*) FILTER (WHERE b.answered_at IS NOT NULL OR b.status = 'expired')::int,
                COALESCE(sum(CASE WHEN b.answered_at IS NOT NULL THEN LEAST(24, GREATEST(0, extract(epoch FROM b.answered_at - b.created_at) / 3600))
                                  WHEN b.status = 'expired' THEN 24 ELSE 0 END), 0)::float8,
                count(*) FILTER (WHERE b.ever_disputed)::int,
                (SELECT count(*)::int FROM ai.reviews WHERE provider_id = \(providerId) AND NOT deleted),
                (SELECT COALESCE(sum(rating), 0)::int FROM ai.reviews WHERE provider_id = \(providerId) AND NOT deleted)
            FROM ai.bookings b WHERE b.provider_id = \(providerId)
            """, logger: logger)
        for try await (user, since, completed, cancelled, answered, hours, disputed, reviews, stars)
            in rows.decode((UUID?, Date?, Int, Int, Int, Double, Int, Int, Int).self) {
            guard let user else { return nil }
            let age = since.map { max(0, now.timeIntervalSince($0) / 86_400) } ?? 0
            return (TrustInputs(completed: completed, providerCancelled: cancelled, answered: answered, responseHours: hours, reviews: reviews,
                                ratingSum: stars, accountAgeDays: age, disputed: disputed), user)
        }
        return nil
    }

    static func providerId(userId: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query(
            """
            SELECT id FROM ai.providers WHERE user_id = \(userId) AND NOT deleted
            UNION ALL SELECT provider_id FROM ai.trust_scores WHERE user_id = \(userId)
            UNION ALL (SELECT provider_id FROM ai.bookings WHERE provider_user_id = \(userId) LIMIT 1)
            LIMIT 1
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// The provider's record now (for predictions); nil when unknown.
    public func record(userId: UUID, now: Date = Date()) async throws -> TrustInputs? {
        try await client.withConnection { connection in
            guard let providerId = try await Self.providerId(userId: userId, on: connection, logger: logger) else { return nil }
            return try await Self.inputs(providerId: providerId, now: now, on: connection, logger: logger)?.0
        }
    }

    /// The score with its factors and the last 20 changes.
    public func score(userId: UUID) async throws -> TrustScoreDTO? {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT provider_id, score, factors::text, updated_at FROM ai.trust_scores WHERE user_id = \(userId)
                ORDER BY updated_at DESC LIMIT 1
                """, logger: logger)
            var found: (UUID, Int, String, Date)?
            for try await row in rows.decode((UUID, Int, String, Date).self) { found = row }
            guard let (providerId, score, factorsJSON, updated) = found else { return nil }
            let factors = try APIJSON.decoder().decode([TrustFactor].self, from: Data(factorsJSON.utf8)).map {
                TrustFactorDTO(name: $0.name, value: $0.value, weight: $0.weight, points: $0.points, detail: $0.detail)
            }
            var history: [TrustHistoryDTO] = []
            for try await (old, new, reason, at) in try await connection.query(
                """
                SELECT old_score, new_score, change_reason, created_at FROM ai.trust_scores_history WHERE user_id = \(userId)
                ORDER BY created_at DESC, id LIMIT 20
                """, logger: logger).decode((Int?, Int, String, Date).self) {
                history.append(TrustHistoryDTO(oldScore: old, newScore: new, reason: reason, createdAt: ISO8601.string(from: at)))
            }
            return TrustScoreDTO(userId: userId, providerId: providerId, score: score, factors: factors, updatedAt: ISO8601.string(from: updated),
                                 history: history)
        }
    }
}
