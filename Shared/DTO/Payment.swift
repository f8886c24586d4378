import Foundation

/// A booking's escrow (`/v1/transactions`). Money in centavos.
public struct TransactionDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var bookingId: UUID
    @LowercaseUUID public var consumerId: UUID
    @LowercaseUUID public var providerId: UUID
    @LowercaseUUID public var providerUserId: UUID
    /// The booking's title.
    public var serviceTitle: String
    public var amount: Int64
    public var platformFee: Int64
    public var providerAmount: Int64
    public var refundedAmount: Int64
    public var releasedAmount: Int64
    public var currency: String
    /// pending, held, released, refunded, cancelled.
    public var escrowStatus: String
    public var disputed: Bool
    public var paymentMethod: String?
    public var paymentProvider: String
    public var createdAt: String
    public var heldAt: String?
    public var releasedAt: String?
    public var refundedAt: String?

    public init(id: UUID, bookingId: UUID, consumerId: UUID, providerId: UUID, providerUserId: UUID, serviceTitle: String, amount: Int64, platformFee: Int64,
                providerAmount: Int64, refundedAmount: Int64, releasedAmount: Int64, escrowStatus: String, disputed: Bool,
                paymentMethod: String?, paymentProvider: String, createdAt: String, heldAt: String?, releasedAt: String?, refundedAt: String?) {
        self.id = id
        self.bookingId = bookingId
        self.consumerId = consumerId
        self.providerId = providerId
        self.providerUserId = providerUserId
        self.serviceTitle = serviceTitle
        self.amount = amount
        self.platformFee = platformFee
        self.providerAmount = providerAmount
        self.refundedAmount = refundedAmount
        self.releasedAmount = releasedAmount
        self.currency = "PHP"
        self.escrowStatus = escrowStatus
        self.disputed = disputed
        self.paymentMethod = paymentMethod
        self.paymentProvider = paymentProvider
        self.createdAt = createdAt
        self.heldAt = heldAt
        self.releasedAt = releasedAt
        self.refundedAt = refundedAt
    }
}

/// `PUT /v1/transactions/:id/refund`: `amount` in centavos (absent: all that remains).
public struct RefundRequest: Codable, Sendable {
    public var amount: Int64?
    public var reason: String?
    public init(amount: Int64? = nil, reason: String? = nil) {
        self.amount = amount
        self.reason = reason
    }
}

/// The payload of `escrow.*` events.
public struct EscrowEvent: Codable, Sendable {
    public var transaction: TransactionDTO
    /// Centavos this move released or refunded.
    public var movedAmount: Int64
    public init(transaction: TransactionDTO, movedAmount: Int64) {
        self.transaction = transaction
        self.movedAmount = movedAmount
    }
}

extension EventType {
    public static let escrowHeld = "escrow.held"
    public static let escrowReleased = "escrow.released"
    public static let escrowRefunded = "escrow.refunded"
}

extension ErrorCode {
    /// A money move the escrow's state does not allow (409).
    public static let illegalEscrowState: ErrorCode = "ILLEGAL_ESCROW_STATE"
    /// An open dispute freezes the escrow (409).
    public static let escrowDisputed: ErrorCode = "ESCROW_DISPUTED"
}

/// A try to pay a booking's escrow (`/v1/payments`).
public struct PaymentDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var transactionId: UUID
    @LowercaseUUID public var bookingId: UUID
    /// gcash or card.
    public var method: String
    public var amount: Int64
    public var currency: String
    /// awaiting_next_action (the person authorizes at `redirectUrl`), succeeded, failed.
    public var status: String
    public var redirectUrl: String?
    /// For PayMongo's client-side SDK.
    public var clientKey: String
    public var paymentIntentId: String
    public var createdAt: String
    public var updatedAt: String

    public init(id: UUID, transactionId: UUID, bookingId: UUID, method: String, amount: Int64, status: String, redirectUrl: String?,
                clientKey: String, paymentIntentId: String, createdAt: String, updatedAt: String) {
        self.id = id
        self.transactionId = transactionId
        self.bookingId = bookingId
        self.method = method
        self.amount = amount
        self.currency = "PHP"
        self.status = status
        self.redirectUrl = redirectUrl
        self.clientKey = clientKey
        self.paymentIntentId = paymentIntentId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /v1/transactions/escrow`: the accepted booking whose escrow to open.
public struct OpenEscrowRequest: Codable, Sendable {
    public var bookingId: String?
    public init(bookingId: String? = nil) { self.bookingId = bookingId }
}

/// `POST /v1/payments/create`.
public struct CreatePaymentRequest: Codable, Sendable {
    public var bookingId: String?
    /// gcash (default) or card.
    public var method: String?
    /// Where PayMongo sends the person back after authorizing.
    public var returnUrl: String?
    public init(bookingId: String? = nil, method: String? = nil, returnUrl: String? = nil) {
        self.bookingId = bookingId
        self.method = method
        self.returnUrl = returnUrl
    }
}

/// A PayMongo webhook, after its signature checked out (job data on the
/// `payment` queue).
public struct PayMongoPaymentEvent: Codable, Sendable {
    public var eventId: String
    public var type: String
    public var paymentId: String
    public var paymentIntentId: String
    public var status: String
    public var amount: Int64
    public init(eventId: String, type: String, paymentId: String, paymentIntentId: String, status: String, amount: Int64) {
        self.eventId = eventId
        self.type = type
        self.paymentId = paymentId
        self.paymentIntentId = paymentIntentId
        self.status = status
        self.amount = amount
    }
}

extension EventType {
    public static let paymongoPaymentPaid = "paymongo.payment.paid"
    public static let paymongoPaymentFailed = "paymongo.payment.failed"
}

/// `POST /v1/payments/refund` (an admin): all that remains in escrow, or `amount`.
public struct PaymentRefundRequest: Codable, Sendable {
    public var transactionId: String?
    public var amount: Int64?
    public var reason: String?
    public init(transactionId: String? = nil, amount: Int64? = nil, reason: String? = nil) {
        self.transactionId = transactionId
        self.amount = amount
        self.reason = reason
    }
}

/// Job data: send this refund to PayMongo.
public struct RefundRequested: Codable, Sendable {
    @LowercaseUUID public var refundId: UUID
    public init(refundId: UUID) { self.refundId = refundId }
}

extension EventType {
    public static let paymongoRefundRequested = "paymongo.refund-requested"
    public static let paymongoRefundUpdated = "paymongo.refund-updated"
}

/// PayMongo's `payment.refund.updated` (or `payment.refunded`), after its
/// signature checked out: where one of our refunds is now.
public struct PayMongoRefundEvent: Codable, Sendable {
    public var eventId: String
    public var refundId: String
    public var status: String
    /// Our refund's id, read back from the refund's notes (the webhook may
    /// come before we recorded PayMongo's id).
    public var ourRefundId: String?
    public init(eventId: String, refundId: String, status: String, ourRefundId: String? = nil) {
        self.eventId = eventId
        self.refundId = refundId
        self.status = status
        self.ourRefundId = ourRefundId
    }
}

/// `POST /v1/payouts/request` (a provider).
public struct PayoutRequest: Codable, Sendable {
    public var amount: Int64?
    /// instapay (default), pesonet or gcash.
    public var method: String?
    public var accountName: String?
    public var accountNumber: String?
    public var bank: String?
    public init(amount: Int64? = nil, method: String? = nil, accountName: String? = nil, accountNumber: String? = nil, bank: String? = nil) {
        self.amount = amount
        self.method = method
        self.accountName = accountName
        self.accountNumber = accountNumber
        self.bank = bank
    }
}

/// A payout (`/v1/payouts`): the destination only as bank and last digits.
public struct PayoutDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var providerUserId: UUID
    public var amount: Int64
    public var currency: String
    public var method: String
    public var destination: String
    /// requested, paid, rejected.
    public var status: String
    public var note: String?
    public var createdAt: String
    public var decidedAt: String?

    public init(id: UUID, providerUserId: UUID, amount: Int64, method: String, destination: String, status: String, note: String?,
                createdAt: String, decidedAt: String?) {
        self.id = id
        self.providerUserId = providerUserId
        self.amount = amount
        self.currency = "PHP"
        self.method = method
        self.destination = destination
        self.status = status
        self.note = note
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}

/// `GET /v1/payouts/balance`: what a provider can ask for, and what waits.
public struct BalanceDTO: Codable, Sendable, Equatable {
    public var available: Int64
    public var pendingPayouts: Int64
    public var currency: String
    public init(available: Int64, pendingPayouts: Int64) {
        self.available = available
        self.pendingPayouts = pendingPayouts
        self.currency = "PHP"
    }
}

/// An admin's approve or reject (payouts, loans): an optional note.
public struct DecisionRequest: Codable, Sendable {
    public var note: String?
    public init(note: String? = nil) { self.note = note }
}

/// A dispute over a booking's escrow (`/v1/disputes`).
public struct DisputeDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var transactionId: UUID
    @LowercaseUUID public var openedBy: UUID
    public var reason: String
    /// open, resolved.
    public var status: String
    /// release, refund, partial (when resolved).
    public var outcome: String?
    public var refundAmount: Int64?
    public var resolutionNote: String?
    public var createdAt: String
    public var resolvedAt: String?

    public init(id: UUID, transactionId: UUID, openedBy: UUID, reason: String, status: String, outcome: String?, refundAmount: Int64?,
                resolutionNote: String?, createdAt: String, resolvedAt: String?) {
        self.id = id
        self.transactionId = transactionId
        self.openedBy = openedBy
        self.reason = reason
        self.status = status
        self.outcome = outcome
        self.refundAmount = refundAmount
        self.resolutionNote = resolutionNote
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
    }
}

/// `POST /v1/disputes` (the consumer).
public struct OpenDisputeRequest: Codable, Sendable {
    public var transactionId: String?
    public var reason: String?
    public init(transactionId: String? = nil, reason: String? = nil) {
        self.transactionId = transactionId
        self.reason = reason
    }
}

/// `POST /v1/disputes/:id/resolve` (an admin): `release` to the provider,
/// `refund` everything, or `partial` (refund `refundAmount`, release the rest).
public struct ResolveDisputeRequest: Codable, Sendable {
    public var outcome: String?
    public var refundAmount: Int64?
    public var note: String?
    public init(outcome: String? = nil, refundAmount: Int64? = nil, note: String? = nil) {
        self.outcome = outcome
        self.refundAmount = refundAmount
        self.note = note
    }
}
