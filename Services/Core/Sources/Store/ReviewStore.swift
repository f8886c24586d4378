import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `core.reviews`, and the provider figures they feed.
public struct ReviewStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let outbox = OutboxWriter(schema: "core")
    let appBaseURL: String

    public init(client: PostgresClient, logger: Logger, appBaseURL: String) {
        self.client = client
        self.logger = logger
        self.appBaseURL = appBaseURL
    }

    public enum Failure: Error, Equatable {
        case notFound, bookingNotFound
        case forbidden(String)
        case conflict(String)
    }

    public func create(reviewer: Identity, _ f: ReviewFields, requestId: String?) async throws -> ReviewDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT consumer_id, provider_user_id, provider_id, status, title FROM core.bookings
                    WHERE id = \(f.bookingId!) FOR UPDATE
                    """, logger: logger)
                var found: (UUID, UUID, UUID, String, String)?
                for try await row in rows.decode((UUID, UUID, UUID, String, String).self) { found = row }
                guard let (consumer, providerUser, providerId, status, serviceTitle) = found,
                      reviewer.userId == consumer || reviewer.userId == providerUser else { throw Failure.bookingNotFound }
                guard reviewer.userId == consumer else { throw Failure.forbidden("Only the consumer of a booking reviews it") }
                guard status == BookingStatus.completed.rawValue else { throw Failure.conflict("Only a completed booking can be reviewed") }
                let inserted = try await connection.query(
                    """
                    INSERT INTO core.reviews (booking_id, reviewer_id, provider_id, rating, title, content)
                    VALUES (\(f.bookingId!), \(consumer), \(providerId), \(f.rating!), \(f.title!), \(f.content ?? ""))
                    RETURNING id
                    """, logger: logger)
                var id: UUID?
                for try await row in inserted.decode(UUID.self) { id = row }
                try await ProviderStats.refresh(providerId: providerId, on: connection, logger: logger)
                let review = try await Self.load(id!, on: connection, logger: logger)!
                try await outbox.publish(ReviewCreated(ReviewEvent(review: review)), requestId: requestId, on: connection, logger: logger)
                let base = appBaseURL.withoutTrailingSlash
                let notice = NotifyUserRequest(userId: providerUser, kind: .reviewReceived, variables: [
                    "reviewerName": review.reviewerName, "serviceTitle": serviceTitle, "rating": String(review.rating), "title": review.title,
                    "reviewUrl": "\(base)/reviews/\(review.id.uuidString.lowercased())",
                ], data: ["reviewId": review.id.uuidString.lowercased(), "bookingId": review.bookingId.uuidString.lowercased()])
                try await outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
                return review
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw Failure.conflict("This booking has already been reviewed")
        }
    }

    public func find(id: UUID) async throws -> ReviewDTO? {
        try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE r.id = \(id) AND r.deleted_at IS NULL", logger: logger))
    }

    /// A provider's reviews, newest first.
    public func list(providerId: UUID, page: PageRequest) async throws -> ([ReviewDTO], Int) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total FROM \(unescaped: Self.from)
            WHERE r.provider_id = \(providerId) AND r.deleted_at IS NULL
            ORDER BY r.created_at DESC, r.id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.review(from: $0) }
    }

    /// The reviewer changes their review (7 days), or the provider answers it (once).
    public func update(id: UUID, by caller: Identity, _ f: ReviewFields, requestId: String?) async throws -> ReviewDTO {
        try await client.transaction(logger: logger) { connection in
            let (review, providerUser) = try await lock(id, on: connection)
            if let response = f.response {
                let verdict = ReviewPolicy.mayRespond(isProvider: caller.userId == providerUser, alreadyResponded: review.response != nil)
                try Self.check(verdict)
                try await connection.query(
                    "UPDATE core.reviews SET response = \(response), responded_at = now(), updated_at = now() WHERE id = \(id)", logger: logger)
            } else {
                let verdict = ReviewPolicy.mayEdit(isReviewer: caller.userId == review.reviewerId, createdAt: ISO8601.date(from: review.createdAt)!, now: Date())
                try Self.check(verdict)
                try await connection.query(
                    """
                    UPDATE core.reviews SET rating = COALESCE(\(f.rating), rating), title = COALESCE(\(f.title), title),
                        content = COALESCE(\(f.content), content), updated_at = now()
                    WHERE id = \(id)
                    """, logger: logger)
                try await ProviderStats.refresh(providerId: review.providerId, on: connection, logger: logger)
            }
            let updated = try await Self.load(id, on: connection, logger: logger)!
            try await outbox.publish(ReviewUpdated(ReviewEvent(review: updated)), requestId: requestId, on: connection, logger: logger)
            return updated
        }
    }

    /// The reviewer or an admin removes a review; it leaves the provider's figures.
    /// Answers the reviewed provider's id.
    public func delete(id: UUID, by caller: Identity, requestId: String?) async throws -> UUID {
        try await client.transaction(logger: logger) { connection in
            let (review, _) = try await lock(id, on: connection)
            guard caller.isAdmin(orOneOf: review.reviewerId) else {
                throw Failure.forbidden("Only the reviewer or an admin can remove a review")
            }
            try await connection.query("UPDATE core.reviews SET deleted_at = now(), updated_at = now() WHERE id = \(id)", logger: logger)
            try await ProviderStats.refresh(providerId: review.providerId, on: connection, logger: logger)
            try await outbox.publish(ReviewDeleted(ReviewEvent(review: review)), requestId: requestId, on: connection, logger: logger)
            return review.providerId
        }
    }

    private func lock(_ id: UUID, on connection: PostgresConnection) async throws -> (ReviewDTO, UUID) {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns), pr.user_id FROM \(unescaped: Self.from) JOIN core.providers pr ON pr.id = r.provider_id
            WHERE r.id = \(id) AND r.deleted_at IS NULL FOR UPDATE OF r
            """, logger: logger)
        for try await row in rows {
            return (try Self.review(from: row), try PostgresRandomAccessRow(row)["user_id"].decode(UUID.self))
        }
        throw Failure.notFound
    }

    static func check(_ verdict: ReviewPolicy.Verdict) throws {
        switch verdict {
        case .allowed: return
        case .forbidden(let message): throw Failure.forbidden(message)
        case .conflict(let message): throw Failure.conflict(message)
        }
    }

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ReviewDTO? {
        try await first(try await connection.query(
            "SELECT \(unescaped: columns) FROM \(unescaped: from) WHERE r.id = \(id)", logger: logger))
    }

    static let from = "core.reviews r JOIN core.profiles u ON u.user_id = r.reviewer_id"
    static let columns = """
        r.id, r.booking_id, r.reviewer_id, u.full_name, r.provider_id, r.rating, r.title, r.content, r.response, r.responded_at, \
        r.is_verified, r.created_at, r.updated_at
        """

    static func first(_ rows: PostgresRowSequence) async throws -> ReviewDTO? {
        for try await row in rows { return try review(from: row) }
        return nil
    }

    static func review(from row: PostgresRow) throws -> ReviewDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        let id = try next(UUID.self), booking = try next(UUID.self), reviewer = try next(UUID.self), name = try next(String.self)
        let provider = try next(UUID.self), rating = try next(Int.self), title = try next(String.self), content = try next(String.self)
        let response = try next(String?.self), respondedAt = try next(Date?.self), verified = try next(Bool.self)
        let created = try next(Date.self), updated = try next(Date.self)
        return ReviewDTO(
            id: id, bookingId: booking, reviewerId: reviewer, reviewerName: name, providerId: provider, rating: rating, title: title,
            content: content, response: response, respondedAt: respondedAt.map(ISO8601.string(from:)), isVerified: verified,
            editableUntil: ISO8601.string(from: created.addingTimeInterval(ReviewFields.editWindow)),
            createdAt: ISO8601.string(from: created), updatedAt: ISO8601.string(from: updated))
    }
}
