import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// Keeps `ai.providers`, `ai.bookings` and `ai.reviews` from the events.
/// Each event carries the whole record; an older snapshot never overwrites
/// a newer one, so events may arrive in any order.
enum ReadModelStore {
    static func apply(_ e: ProviderEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let p = e.provider
        let updated = ISO8601.date(from: p.updatedAt) ?? Date()
        try await connection.query(
            """
            INSERT INTO ai.providers (id, user_id, category_id, category_names, business_name, description, skills, service_areas, latitude,
                longitude, hourly_rate, is_verified, deleted, created_at, source_updated_at)
            VALUES (\(p.id), \(p.userId), \(p.categoryId), \(e.categoryNames), \(p.businessName), \(p.description), \(p.skills), \(p.serviceAreas),
                \(p.latitude), \(p.longitude), \(p.hourlyRate), \(p.isVerified), \(e.deleted), \(ISO8601.date(from: p.createdAt) ?? updated), \(updated))
            ON CONFLICT (id) DO UPDATE SET
                user_id = EXCLUDED.user_id, category_id = EXCLUDED.category_id, category_names = EXCLUDED.category_names,
                business_name = EXCLUDED.business_name, description = EXCLUDED.description, skills = EXCLUDED.skills,
                service_areas = EXCLUDED.service_areas, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
                hourly_rate = EXCLUDED.hourly_rate, is_verified = EXCLUDED.is_verified, deleted = ai.providers.deleted OR EXCLUDED.deleted,
                created_at = EXCLUDED.created_at, source_updated_at = EXCLUDED.source_updated_at, changed_at = clock_timestamp()
            WHERE ai.providers.source_updated_at <= EXCLUDED.source_updated_at OR EXCLUDED.deleted
            """, logger: logger)
    }

    /// Answers the booking's provider.
    static func apply(_ e: BookingEvent, at occurred: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let b = e.booking
        let updated = ISO8601.date(from: b.updatedAt) ?? occurred
        // The provider's answer: the acceptance, or the moment of a rejection.
        let answered = b.acceptedAt.flatMap(ISO8601.date(from:)) ?? (b.status == .rejected ? updated : nil)
        try await connection.query(
            """
            INSERT INTO ai.bookings (id, provider_id, provider_user_id, consumer_id, status, amount, scheduled_date, scheduled_end, created_at,
                answered_at, cancelled_by, disputed, ever_disputed, source_updated_at)
            VALUES (\(b.id), \(b.providerId), \(b.providerUserId), \(b.consumerId), \(b.status.rawValue), \(b.estimatedTotal),
                \(ISO8601.date(from: b.scheduledDate) ?? updated), \(ISO8601.date(from: b.scheduledEnd) ?? updated),
                \(ISO8601.date(from: b.createdAt) ?? updated), \(answered), \(b.cancelledBy?.rawValue), \(b.disputed), \(b.disputed), \(updated))
            ON CONFLICT (id) DO UPDATE SET
                status = EXCLUDED.status, amount = EXCLUDED.amount, scheduled_date = EXCLUDED.scheduled_date,
                scheduled_end = EXCLUDED.scheduled_end, answered_at = COALESCE(ai.bookings.answered_at, EXCLUDED.answered_at),
                cancelled_by = EXCLUDED.cancelled_by, source_updated_at = EXCLUDED.source_updated_at
            WHERE ai.bookings.source_updated_at <= EXCLUDED.source_updated_at
            """, logger: logger)
    }

    static func apply(_ review: ReviewDTO, deleted: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        let updated = ISO8601.date(from: review.updatedAt) ?? Date()
        try await connection.query(
            """
            INSERT INTO ai.reviews (id, provider_id, booking_id, rating, deleted, source_updated_at)
            VALUES (\(review.id), \(review.providerId), \(review.bookingId), \(review.rating), \(deleted), \(updated))
            ON CONFLICT (id) DO UPDATE SET rating = EXCLUDED.rating, deleted = ai.reviews.deleted OR EXCLUDED.deleted,
                source_updated_at = GREATEST(ai.reviews.source_updated_at, EXCLUDED.source_updated_at)
            WHERE ai.reviews.source_updated_at <= EXCLUDED.source_updated_at OR EXCLUDED.deleted
            """, logger: logger)
    }

    /// Answers the booking's provider; nil when the booking is not here yet.
    static func setDisputed(bookingId: UUID, open: Bool, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query(
            """
            UPDATE ai.bookings SET disputed = \(open), ever_disputed = ever_disputed OR \(open) WHERE id = \(bookingId) RETURNING provider_id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }
}
