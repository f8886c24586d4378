import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `core.bookings`. Every change runs in one transaction with the events it
/// causes (outbox), on a row locked `FOR UPDATE`, so racing requests see each
/// other's result; overlapping accepted slots are refused by the database.
public struct BookingStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let outbox = OutboxWriter(schema: "core")
    let settings: Settings

    /// Timings and links of the booking flow.
    public struct Settings: Sendable {
        /// How long a provider has to answer a request.
        public var pendingLifetime: Duration
        /// How long the consumer has to confirm (or dispute) work reported done.
        public var confirmationWindow: Duration
        public var appBaseURL: String
        public init(pendingLifetime: Duration, confirmationWindow: Duration, appBaseURL: String) {
            self.pendingLifetime = pendingLifetime
            self.confirmationWindow = confirmationWindow
            self.appBaseURL = appBaseURL
        }
    }

    public init(client: PostgresClient, logger: Logger, settings: Settings) {
        self.client = client
        self.logger = logger
        self.settings = settings
    }

    public enum Failure: Error, Equatable {
        case unknownProvider, unknownCategory, ownProvider, notFound
        case move(BookingMoveError)
        /// The provider holds an accepted booking overlapping this one.
        case overlap
        /// A timer fired before its time (the booking changed since it was set).
        case notDue
    }

    // MARK: Create

    public func create(consumerId: UUID, _ f: BookingFields, requestId: String?) async throws -> BookingDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                let providers = try await connection.query(
                    """
                    SELECT user_id, category_id, hourly_rate_centavos FROM core.providers
                    WHERE id = \(f.providerId!) AND deleted_at IS NULL FOR SHARE
                    """, logger: logger)
                var found: (UUID, UUID, Int64)?
                for try await row in providers.decode((UUID, UUID, Int64).self) { found = row }
                guard let (providerUser, providerCategory, providerRate) = found else { throw Failure.unknownProvider }
                guard providerUser != consumerId else { throw Failure.ownProvider }
                let minutes = f.estimatedMinutes!
                let rate = f.proposedRate ?? providerRate
                let start = f.scheduledDate!
                let end = start.addingTimeInterval(TimeInterval(minutes * 60))
                // Unanswered until the lifetime runs out or the slot begins, whichever is first.
                let expiresAt = min(Date().addingTimeInterval(settings.pendingLifetime.seconds), start)
                let rows = try await connection.query(
                    """
                    INSERT INTO core.bookings (consumer_id, provider_id, provider_user_id, category_id, title, description, location,
                        scheduled_date, scheduled_end, estimated_minutes, proposed_rate_centavos, estimated_total_centavos, expires_at)
                    VALUES (\(consumerId), \(f.providerId!), \(providerUser), \(f.categoryId ?? providerCategory), \(f.title!),
                        \(f.description ?? ""), \(f.location), \(start), \(end), \(minutes), \(rate),
                        \(BookingPrice.estimatedTotal(hourlyRate: rate, minutes: minutes)), \(expiresAt))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                let booking = try await Self.first(rows)!
                try await announce(booking, event: BookingCreated.self, previous: nil, actor: .consumer, requestId: requestId, on: connection)
                try await outbox.publish(
                    BookingExpireDue(BookingDue(bookingId: booking.id)), requestId: requestId,
                    delay: .seconds(max(0, expiresAt.timeIntervalSinceNow)), on: connection, logger: logger)
                return booking
            }
        } catch let error as PSQLError where error.isForeignKeyViolation {
            throw Failure.unknownCategory
        }
    }

    // MARK: Read

    /// The booking, if `viewer` takes part in it (or is an admin).
    public func find(id: UUID, viewer: Identity) async throws -> BookingDTO? {
        guard let booking = try await find(id: id) else { return nil }
        return Self.role(of: viewer, in: booking) == nil ? nil : booking
    }

    /// The booking, for another service.
    public func find(id: UUID) async throws -> BookingDTO? {
        try await Self.first(try await client.query("SELECT \(unescaped: Self.columns) FROM core.bookings WHERE id = \(id)", logger: logger))
    }

    public enum Side: String, Sendable { case consumer, provider }

    /// The caller's bookings, newest first: as consumer, as provider, or both.
    public func list(userId: UUID, side: Side?, status: BookingStatus?, page: PageRequest) async throws -> ([BookingDTO], Int) {
        let asConsumer = side == nil || side == .consumer
        let asProvider = side == nil || side == .provider
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total FROM core.bookings
            WHERE ((\(asConsumer) AND consumer_id = \(userId)) OR (\(asProvider) AND provider_user_id = \(userId)))
              AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY created_at DESC, id
            LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.booking(from: $0) }
    }

    // MARK: Change

    /// Makes `move` on the booking as `actor` (nil: the system). Throws
    /// `Failure.notFound` for a booking the actor does not take part in.
    public func apply(
        _ move: BookingMove, id: UUID, actor: Identity?, reason: String? = nil, edit: BookingFields? = nil, requestId: String?
    ) async throws -> BookingDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT \(unescaped: Self.columns) FROM core.bookings WHERE id = \(id) FOR UPDATE", logger: logger)
                guard let current = try await Self.first(rows) else { throw Failure.notFound }
                let role: BookingRole
                if let actor {
                    guard let r = Self.role(of: actor, in: current) else { throw Failure.notFound }
                    role = r
                } else {
                    role = .system
                }
                if role == .system {
                    let due = move == .expire ? current.expiresAt : current.autoCompleteAt
                    guard let due = due.flatMap(ISO8601.date(from:)), due.timeIntervalSinceNow <= 1 else { throw Failure.notDue }
                }
                let state = BookingState(status: current.status, workDone: current.workDoneAt != nil, disputed: current.disputed, paid: current.paidAt != nil)
                let transition: BookingTransition
                switch Result(catching: { () throws(BookingMoveError) in try BookingMachine.apply(move, by: role, to: state) }) {
                case .success(let t): transition = t
                case .failure(let error): throw Failure.move(error)
                }
                if transition.to == .accepted {
                    // Accepts for one provider take turns: the exclusion
                    // constraint alone would let racing accepts deadlock.
                    for try await _ in try await connection.query(
                        "SELECT id FROM core.providers WHERE id = \(current.providerId) FOR NO KEY UPDATE", logger: logger).decode(UUID.self) {}
                }
                let updated = try await write(move, transition, id: id, current: current, role: role, reason: reason, edit: edit, on: connection)
                try await afterMove(move, transition, booking: updated, previous: current.status, role: role, requestId: requestId, on: connection)
                return updated
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23P01" {
            throw Failure.overlap
        } catch let error as PSQLError where error.isForeignKeyViolation {
            throw Failure.unknownCategory
        }
    }

    /// The customer's payment is in escrow (`escrow.held` from payment):
    /// the job may start. Once; a repeated event changes nothing.
    public func markPaid(id: UUID) async throws {
        try await client.query(
            "UPDATE core.bookings SET paid_at = now(), updated_at = now() WHERE id = \(id) AND paid_at IS NULL", logger: logger)
    }

    /// An open dispute holds the automatic completion; closing it lets the
    /// booking complete by itself again (at once if the window has passed).
    public func setDisputed(id: UUID, open: Bool, requestId: String?) async throws {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE core.bookings SET disputed = \(open), updated_at = now() WHERE id = \(id) AND disputed <> \(open)
                RETURNING auto_complete_at
                """, logger: logger)
            for try await due in rows.decode(Date?.self) where !open {
                if let due {
                    try await outbox.publish(
                        BookingAutoCompleteDue(BookingDue(bookingId: id)), requestId: requestId,
                        delay: .seconds(max(0, due.timeIntervalSinceNow)), on: connection, logger: logger)
                }
            }
        }
    }

    private func write(
        _ move: BookingMove, _ t: BookingTransition, id: UUID, current: BookingDTO, role: BookingRole, reason: String?, edit: BookingFields?,
        on connection: PostgresConnection
    ) async throws -> BookingDTO {
        let rows: PostgresRowSequence
        switch move {
        case .edit:
            let f = edit ?? BookingFields()
            let start = f.scheduledDate ?? ISO8601.date(from: current.scheduledDate)!
            let minutes = f.estimatedMinutes ?? Int((current.estimatedHours * 60).rounded())
            let rate = f.proposedRate ?? current.proposedRate
            rows = try await connection.query(
                """
                UPDATE core.bookings SET
                    category_id = COALESCE(\(f.categoryId), category_id),
                    title = COALESCE(\(f.title), title),
                    description = COALESCE(\(f.description), description),
                    location = COALESCE(\(f.location), location),
                    scheduled_date = \(start),
                    scheduled_end = \(start.addingTimeInterval(TimeInterval(minutes * 60))),
                    estimated_minutes = \(minutes),
                    proposed_rate_centavos = \(rate),
                    estimated_total_centavos = \(BookingPrice.estimatedTotal(hourlyRate: rate, minutes: minutes)),
                    expires_at = LEAST(expires_at, \(start)),
                    updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
        case .complete where t.marksWorkDone:
            rows = try await connection.query(
                """
                UPDATE core.bookings SET work_done_at = now(), auto_complete_at = now() + make_interval(secs => \(settings.confirmationWindow.seconds)),
                    updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
        default:
            let stamp: String = switch t.to {
            case .accepted: "accepted_at"
            case .inProgress: "started_at"
            case .completed: "completed_at"
            case .cancelled, .rejected, .expired: "cancelled_at"
            case .pending: "updated_at"
            }
            let cancelledBy: String? = (t.to == .cancelled || t.to == .expired || t.to == .rejected) ? role.rawValue : nil
            rows = try await connection.query(
                """
                UPDATE core.bookings SET status = \(t.to.rawValue), \(unescaped: stamp) = now(), updated_at = now(),
                    cancelled_by = COALESCE(\(cancelledBy), cancelled_by), reason = COALESCE(\(reason), reason)
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
        }
        return try await Self.first(rows)!
    }

    /// The events and timers a move causes, in its transaction.
    private func afterMove(
        _ move: BookingMove, _ t: BookingTransition, booking: BookingDTO, previous: BookingStatus, role: BookingRole, requestId: String?,
        on connection: PostgresConnection
    ) async throws {
        let event: (any BookingLifecycleEvent.Type)? = switch (move, t.to) {
        case (.edit, _): nil
        case (_, .accepted): BookingAccepted.self
        case (_, .rejected): BookingRejected.self
        case (_, .expired): BookingExpired.self
        case (_, .cancelled): BookingCancelled.self
        case (.start, _): BookingStarted.self
        case (_, .completed): BookingCompleted.self
        case (.complete, .inProgress): BookingWorkDone.self
        default: nil
        }
        if move == .edit, booking.status == .pending, let due = booking.expiresAt.flatMap(ISO8601.date(from:)) {
            // A slot moved earlier expires earlier: a timer for the new time.
            try await outbox.publish(
                BookingExpireDue(BookingDue(bookingId: booking.id)), requestId: requestId,
                delay: .seconds(max(0, due.timeIntervalSinceNow)), on: connection, logger: logger)
        }
        guard let event else { return }
        try await announce(booking, event: event, previous: previous, actor: role, requestId: requestId, on: connection)
        if event.name == BookingWorkDone.name, let due = booking.autoCompleteAt.flatMap(ISO8601.date(from:)) {
            try await outbox.publish(
                BookingAutoCompleteDue(BookingDue(bookingId: booking.id)), requestId: requestId,
                delay: .seconds(max(0, due.timeIntervalSinceNow)), on: connection, logger: logger)
        }
        if event.name == BookingCompleted.name || (event.name == BookingCancelled.name && previous == .accepted) {
            try await ProviderStats.refresh(providerId: booking.providerId, on: connection, logger: logger)
        }
    }

    /// Writes the event for the services that act on it and the people to tell.
    private func announce(
        _ booking: BookingDTO, event: any BookingLifecycleEvent.Type, previous: BookingStatus?, actor: BookingRole, requestId: String?,
        on connection: PostgresConnection
    ) async throws {
        let step = event.init(BookingEvent(booking: booking, previousStatus: previous, actor: actor))
        try await outbox.publish(step, requestId: requestId, on: connection, logger: logger)
        let names = try await connection.query(
            """
            SELECT c.full_name, p.business_name FROM core.profiles c, core.providers p
            WHERE c.user_id = \(booking.consumerId) AND p.id = \(booking.providerId)
            """, logger: logger)
        var found = BookingNotices.Names(consumerName: "A customer", providerName: "Your pro")
        for try await (consumer, provider) in names.decode((String, String).self) {
            found = BookingNotices.Names(consumerName: consumer, providerName: provider)
        }
        for notice in BookingNotices.notices(for: booking, event: event.name, actor: actor, names: found, appBaseURL: settings.appBaseURL) {
            try await outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
        }
    }

    // MARK: Rows

    static func role(of identity: Identity, in booking: BookingDTO) -> BookingRole? {
        if identity.userId == booking.consumerId { return .consumer }
        if identity.userId == booking.providerUserId { return .provider }
        if identity.isAdmin { return .admin }
        return nil
    }

    static let columns = """
        id, consumer_id, provider_id, provider_user_id, category_id, title, description, location, scheduled_date, scheduled_end, \
        estimated_minutes, proposed_rate_centavos, estimated_total_centavos, status, expires_at, accepted_at, started_at, work_done_at, \
        auto_complete_at, completed_at, cancelled_at, cancelled_by, reason, disputed, created_at, updated_at, paid_at
        """

    static func first(_ rows: PostgresRowSequence) async throws -> BookingDTO? {
        for try await row in rows { return try booking(from: row) }
        return nil
    }

    static func booking(from row: PostgresRow) throws -> BookingDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        func time() throws -> String { ISO8601.string(from: try next(Date.self)) }
        func optionalTime() throws -> String? { try next(Date?.self).map(ISO8601.string(from:)) }
        return BookingDTO(
            id: try next(UUID.self), consumerId: try next(UUID.self), providerId: try next(UUID.self), providerUserId: try next(UUID.self),
            categoryId: try next(UUID.self), title: try next(String.self), description: try next(String.self), location: try next(String?.self),
            scheduledDate: try time(), scheduledEnd: try time(), estimatedHours: Double(try next(Int.self)) / 60,
            proposedRate: try next(Int64.self), estimatedTotal: try next(Int64.self),
            status: BookingStatus(rawValue: try next(String.self)) ?? .pending, expiresAt: try optionalTime(), acceptedAt: try optionalTime(),
            startedAt: try optionalTime(), workDoneAt: try optionalTime(), autoCompleteAt: try optionalTime(), completedAt: try optionalTime(),
            cancelledAt: try optionalTime(), cancelledBy: try next(String?.self).flatMap(BookingRole.init(rawValue:)),
            reason: try next(String?.self), disputed: try next(Bool.self), createdAt: try time(), updatedAt: try time(),
            paidAt: try optionalTime())
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
