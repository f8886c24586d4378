import Foundation

/// Where a booking is in its life (seed 4.1, plus `expired` for a request the
/// provider never answered).
public enum BookingStatus: String, Codable, Sendable, CaseIterable {
    case pending
    case accepted
    case rejected
    case inProgress = "in_progress"
    case completed
    case cancelled
    case expired
}

/// Who the caller is to a booking.
public enum BookingRole: String, Codable, Sendable {
    case consumer, provider, admin, system
}

/// A booking (`/v1/bookings`). Money in centavos; times ISO-8601 UTC.
public struct BookingDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var consumerId: UUID
    @LowercaseUUID public var providerId: UUID
    /// The provider's user account (who answers the booking).
    @LowercaseUUID public var providerUserId: UUID
    @LowercaseUUID public var categoryId: UUID
    public var title: String
    public var description: String
    public var location: String?
    public var scheduledDate: String
    public var scheduledEnd: String
    public var estimatedHours: Double
    /// The hourly rate asked for, in centavos.
    public var proposedRate: Int64
    /// `proposedRate × estimatedHours`, rounded half up to a centavo.
    public var estimatedTotal: Int64
    public var currency: String
    public var status: BookingStatus
    /// When an unanswered request expires.
    public var expiresAt: String?
    public var acceptedAt: String?
    public var startedAt: String?
    /// When the provider said the work is done; the consumer confirms, or it
    /// completes by itself at `autoCompleteAt`.
    public var workDoneAt: String?
    public var autoCompleteAt: String?
    public var completedAt: String?
    public var cancelledAt: String?
    public var cancelledBy: BookingRole?
    /// Why it was cancelled or rejected, as the person said it.
    public var reason: String?
    public var disputed: Bool
    /// When the customer's payment reached escrow (the job may start then).
    public var paidAt: String?
    public var createdAt: String
    public var updatedAt: String

    public init(id: UUID, consumerId: UUID, providerId: UUID, providerUserId: UUID, categoryId: UUID, title: String, description: String,
                location: String?, scheduledDate: String, scheduledEnd: String, estimatedHours: Double, proposedRate: Int64,
                estimatedTotal: Int64, status: BookingStatus, expiresAt: String?, acceptedAt: String?, startedAt: String?,
                workDoneAt: String?, autoCompleteAt: String?, completedAt: String?, cancelledAt: String?, cancelledBy: BookingRole?,
                reason: String?, disputed: Bool, createdAt: String, updatedAt: String, paidAt: String? = nil) {
        self.id = id
        self.consumerId = consumerId
        self.providerId = providerId
        self.providerUserId = providerUserId
        self.categoryId = categoryId
        self.title = title
        self.description = description
        self.location = location
        self.scheduledDate = scheduledDate
        self.scheduledEnd = scheduledEnd
        self.estimatedHours = estimatedHours
        self.proposedRate = proposedRate
        self.estimatedTotal = estimatedTotal
        self.currency = "PHP"
        self.status = status
        self.expiresAt = expiresAt
        self.acceptedAt = acceptedAt
        self.startedAt = startedAt
        self.workDoneAt = workDoneAt
        self.autoCompleteAt = autoCompleteAt
        self.completedAt = completedAt
        self.cancelledAt = cancelledAt
        self.cancelledBy = cancelledBy
        self.reason = reason
        self.disputed = disputed
        self.paidAt = paidAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /v1/bookings`; on `PUT /v1/bookings/:id` (consumer, while pending)
/// every field is optional and `providerId` cannot change.
public struct BookingRequest: Codable, Sendable {
    public var providerId: String?
    public var categoryId: String?
    public var title: String?
    public var description: String?
    public var location: String?
    public var scheduledDate: String?
    public var estimatedHours: Double?
    /// Hourly rate in centavos; the provider's own rate when absent.
    public var proposedRate: Int64?

    public init(providerId: String? = nil, categoryId: String? = nil, title: String? = nil, description: String? = nil, location: String? = nil,
                scheduledDate: String? = nil, estimatedHours: Double? = nil, proposedRate: Int64? = nil) {
        self.providerId = providerId
        self.categoryId = categoryId
        self.title = title
        self.description = description
        self.location = location
        self.scheduledDate = scheduledDate
        self.estimatedHours = estimatedHours
        self.proposedRate = proposedRate
    }
}

/// The optional body of reject and cancel.
public struct BookingReasonRequest: Codable, Sendable {
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

/// The payload of every `booking.*` event (job data of the `payment` and
/// `ai` queues).
public struct BookingEvent: Codable, Sendable {
    public var booking: BookingDTO
    /// The state before the change (nil for `booking.created`).
    public var previousStatus: BookingStatus?
    public var actor: BookingRole
    public init(booking: BookingDTO, previousStatus: BookingStatus?, actor: BookingRole) {
        self.booking = booking
        self.previousStatus = previousStatus
        self.actor = actor
    }
}

/// A dispute opened or closed on a booking (from the payment service, on the
/// `core` queue): an open dispute stops the automatic completion.
public struct BookingDisputeEvent: Codable, Sendable {
    @LowercaseUUID public var bookingId: UUID
    public var open: Bool
    public init(bookingId: UUID, open: Bool) {
        self.bookingId = bookingId
        self.open = open
    }
}

extension EventType {
    public static let bookingCreated = "booking.created"
    public static let bookingAccepted = "booking.accepted"
    public static let bookingRejected = "booking.rejected"
    public static let bookingStarted = "booking.started"
    public static let bookingWorkDone = "booking.work-done"
    public static let bookingCompleted = "booking.completed"
    public static let bookingCancelled = "booking.cancelled"
    public static let bookingExpired = "booking.expired"
    /// Delayed jobs the core service sets for itself.
    public static let bookingExpireDue = "booking.expire-due"
    public static let bookingAutoCompleteDue = "booking.auto-complete-due"
    public static let disputeOpened = "dispute.opened"
    public static let disputeClosed = "dispute.closed"
    public static let notificationRequested = "notification.requested"
}

extension ErrorCode {
    /// A move the booking's current state does not allow (409).
    public static let illegalBookingState: ErrorCode = "ILLEGAL_BOOKING_STATE"
    /// The provider already holds an accepted booking at that time (409).
    public static let bookingOverlap: ErrorCode = "BOOKING_OVERLAP"
}

extension ErrorCode {
    /// The job cannot start before the customer's payment is in escrow (409).
    public static let escrowNotHeld: ErrorCode = "ESCROW_NOT_HELD"
}
