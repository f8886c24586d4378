import TrustTradeDTO

// Every event of the system: its job name (`EventType` keeps the strings) and
// its payload. Where each goes is in `Subscriptions.table`.

// MARK: Auth

/// A person signed up (auth).
public struct UserRegistered: Event {
    public static let name = EventType.userRegistered
    public let payload: UserRegisteredEvent
    public init(_ payload: UserRegisteredEvent) { self.payload = payload }
}

/// A security mail to an address: verify the email, reset the password (auth).
public struct EmailRequested: Event {
    public static let name = EventType.emailRequested
    public let payload: EmailRequestedEvent
    public init(_ payload: EmailRequestedEvent) { self.payload = payload }
}

// MARK: Core

/// A consumer became a provider (core); the account's type lives in auth.
public struct UserTypeChanged: Event {
    public static let name = EventType.userTypeChanged
    public let payload: UserTypeChangedEvent
    public init(_ payload: UserTypeChangedEvent) { self.payload = payload }
}

/// A provider profile was created or changed (core).
public struct ProviderChanged: Event {
    public static let name = EventType.providerChanged
    public let payload: ProviderEvent
    public init(_ payload: ProviderEvent) { self.payload = payload }
}

/// A provider profile was removed (core).
public struct ProviderDeleted: Event {
    public static let name = EventType.providerDeleted
    public let payload: ProviderEvent
    public init(_ payload: ProviderEvent) { self.payload = payload }
}

/// A step in a booking's life (core); all carry a `BookingEvent`.
public protocol BookingLifecycleEvent: Event where Payload == BookingEvent {}

public struct BookingCreated: BookingLifecycleEvent {
    public static let name = EventType.bookingCreated
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingAccepted: BookingLifecycleEvent {
    public static let name = EventType.bookingAccepted
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingRejected: BookingLifecycleEvent {
    public static let name = EventType.bookingRejected
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingStarted: BookingLifecycleEvent {
    public static let name = EventType.bookingStarted
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingWorkDone: BookingLifecycleEvent {
    public static let name = EventType.bookingWorkDone
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingCompleted: BookingLifecycleEvent {
    public static let name = EventType.bookingCompleted
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingCancelled: BookingLifecycleEvent {
    public static let name = EventType.bookingCancelled
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

public struct BookingExpired: BookingLifecycleEvent {
    public static let name = EventType.bookingExpired
    public let payload: BookingEvent
    public init(_ payload: BookingEvent) { self.payload = payload }
}

/// Core's own timer: a pending booking's answer is due (delayed job).
public struct BookingExpireDue: Event {
    public static let name = EventType.bookingExpireDue
    public let payload: BookingDue
    public init(_ payload: BookingDue) { self.payload = payload }
}

/// Core's own timer: the consumer's confirmation window closed (delayed job).
public struct BookingAutoCompleteDue: Event {
    public static let name = EventType.bookingAutoCompleteDue
    public let payload: BookingDue
    public init(_ payload: BookingDue) { self.payload = payload }
}

/// A text message in a chat (core), read by the AI for risks.
public struct ChatMessageSent: Event {
    public static let name = EventType.chatMessageSent
    public let payload: ChatMessageEvent
    public init(_ payload: ChatMessageEvent) { self.payload = payload }
}

public struct ReviewCreated: Event {
    public static let name = EventType.reviewCreated
    public let payload: ReviewEvent
    public init(_ payload: ReviewEvent) { self.payload = payload }
}

public struct ReviewUpdated: Event {
    public static let name = EventType.reviewUpdated
    public let payload: ReviewEvent
    public init(_ payload: ReviewEvent) { self.payload = payload }
}

public struct ReviewDeleted: Event {
    public static let name = EventType.reviewDeleted
    public let payload: ReviewEvent
    public init(_ payload: ReviewEvent) { self.payload = payload }
}

/// Tell a person something (any service); notification renders and delivers it.
/// The internal API also queues this job, with the bare request as data.
public struct NotificationRequested: Event {
    public static let name = EventType.notificationRequested
    public let payload: NotifyUserRequest
    public init(_ payload: NotifyUserRequest) { self.payload = payload }
}

// MARK: AI

/// A provider's trust score moved (ai); core keeps a copy for search.
extension TrustScoreChanged: Event {
    public static let name = EventType.trustScoreChanged
}

// MARK: Payment

/// A move of a booking's escrow (payment); all carry an `EscrowEvent`.
public protocol EscrowMovementEvent: Event where Payload == EscrowEvent {}

public struct EscrowHeld: EscrowMovementEvent {
    public static let name = EventType.escrowHeld
    public let payload: EscrowEvent
    public init(_ payload: EscrowEvent) { self.payload = payload }
}

public struct EscrowReleased: EscrowMovementEvent {
    public static let name = EventType.escrowReleased
    public let payload: EscrowEvent
    public init(_ payload: EscrowEvent) { self.payload = payload }
}

public struct EscrowRefunded: EscrowMovementEvent {
    public static let name = EventType.escrowRefunded
    public let payload: EscrowEvent
    public init(_ payload: EscrowEvent) { self.payload = payload }
}

/// A consumer disputed a held escrow (payment).
public struct DisputeOpened: Event {
    public static let name = EventType.disputeOpened
    public let payload: BookingDisputeEvent
    public init(_ payload: BookingDisputeEvent) { self.payload = payload }
}

/// An admin resolved the dispute (payment).
public struct DisputeClosed: Event {
    public static let name = EventType.disputeClosed
    public let payload: BookingDisputeEvent
    public init(_ payload: BookingDisputeEvent) { self.payload = payload }
}

/// PayMongo's verified webhook: a payment succeeded (payment, for itself).
public struct PayMongoPaymentPaid: Event {
    public static let name = EventType.paymongoPaymentPaid
    public let payload: PayMongoPaymentEvent
    public init(_ payload: PayMongoPaymentEvent) { self.payload = payload }
}

/// PayMongo's verified webhook: a payment failed (payment, for itself).
public struct PayMongoPaymentFailed: Event {
    public static let name = EventType.paymongoPaymentFailed
    public let payload: PayMongoPaymentEvent
    public init(_ payload: PayMongoPaymentEvent) { self.payload = payload }
}

/// PayMongo's verified webhook: one of our refunds changed (payment, for itself).
public struct PayMongoRefundUpdated: Event {
    public static let name = EventType.paymongoRefundUpdated
    public let payload: PayMongoRefundEvent
    public init(_ payload: PayMongoRefundEvent) { self.payload = payload }
}

/// A refund recorded in the ledger, to be sent to PayMongo (payment, for itself).
extension RefundRequested: Event {
    public static let name = EventType.paymongoRefundRequested
}

/// A loan installment is due (payment's own delayed job).
extension LoanInstallmentDue: Event {
    public static let name = EventType.loanInstallmentDue
}

// MARK: File

/// A deleted file's objects are to be removed from storage (file, for itself).
public struct FileDeleted: Event {
    public static let name = EventType.fileDeleted
    public let payload: FileObjectsRemoval
    public init(_ payload: FileObjectsRemoval) { self.payload = payload }
}
