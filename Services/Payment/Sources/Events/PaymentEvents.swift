import Foundation
import Logging
import Queue
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the payment service does with the events on its queue (`payment`):
/// the booking's life (escrow), PayMongo's webhooks, refunds and loan
/// installments it set for itself.
public enum PaymentEvents {
    public struct Context: Sendable {
        let payments: Payments
        let loans: LoanStore
        let bookings: BookingEventHandler
    }

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .payment)
        h.on(PayMongoPaymentPaid.self) { c, event in try await c.payments.handle(event.payload, requestId: event.requestId) }
        h.on(PayMongoPaymentFailed.self) { c, event in try await c.payments.handle(event.payload, requestId: event.requestId) }
        h.on(PayMongoRefundUpdated.self) { c, event in try await c.payments.refundUpdated(event.payload) }
        h.on(LoanInstallmentDue.self) { c, event in try await c.loans.collect(loanId: event.payload.loanId, requestId: event.requestId) }
        h.on(RefundRequested.self) { c, event in try await c.payments.sendRefund(event.payload.refundId) }
        h.on(BookingAccepted.self) { c, event in try await c.bookings.accepted(event) }
        h.on(BookingCompleted.self) { c, event in try await c.bookings.completed(event) }
        h.on(BookingCancelled.self) { c, event in try await c.bookings.cancelled(event) }
        return h
    }()
}

/// What the booking's life means for its money (the `payment` queue).
public struct BookingEventHandler: Sendable {
    let escrow: EscrowStore
    let logger: Logger

    /// The escrow the consumer will pay into.
    public func accepted(_ event: EventEnvelope<BookingEvent>) async throws {
        do {
            _ = try await escrow.open(for: event.payload.booking)
        } catch EscrowStore.Failure.badAmount {
            throw UnrecoverableError("booking \(event.payload.booking.id) has an amount escrow cannot take")
        }
    }

    public func completed(_ event: EventEnvelope<BookingEvent>) async throws {
        try await settle(event.payload.booking.id, move: .release, requestId: event.requestId)
    }

    public func cancelled(_ event: EventEnvelope<BookingEvent>) async throws {
        try await settle(event.payload.booking.id, move: .refund(nil), requestId: event.requestId)
    }

    /// Release or refund the booking's escrow; one never paid is called off.
    func settle(_ bookingId: UUID, move: EscrowMove, requestId: String?) async throws {
        guard let t = try await escrow.find(bookingId: bookingId) else { return }
        let next: EscrowMove = t.escrowStatus == EscrowStatus.pending.rawValue ? .cancel : move
        do {
            _ = try await escrow.apply(next, id: t.id, requestId: requestId)
        } catch EscrowStore.Failure.move(.illegal) {
            // Already settled (a repeated event, or an admin was first): nothing to do.
        } catch EscrowStore.Failure.move(.disputed) {
            logger.info("release held by an open dispute", metadata: ["transactionId": .string(t.id.uuidString)])
        }
    }
}
