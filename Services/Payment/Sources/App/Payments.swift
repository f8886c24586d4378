import Foundation
import Logging
import Queue
import ServiceKit
import TrustTradeDTO

/// Paying a booking's escrow through PayMongo: open a try (payment intent →
/// payment method → attach → the person's redirect), and what PayMongo's
/// verified webhooks mean for the escrow.
public struct Payments: Sendable {
    let store: PaymentStore
    let escrow: EscrowStore
    let paymongo: PayMongoClient
    let defaultReturnURL: String
    let bookings: CoreLookup
    let logger: Logger

    public enum Failure: Error, Equatable {
        case noEscrow, notYours, notPayable(String), provider(String)
    }

    /// The consumer's try for the booking; the open one again if there is one.
    public func create(bookingId: UUID, method: String, returnURL: String?, payer: UUID, requestId: String) async throws -> (PaymentDTO, created: Bool) {
        guard let t = try await escrowOf(bookingId: bookingId, for: payer, requestId: requestId) else { throw Failure.noEscrow }
        guard t.consumerId == payer else { throw Failure.notYours }
        guard t.escrowStatus == EscrowStatus.pending.rawValue else { throw Failure.notPayable(t.escrowStatus) }
        if let open = try await store.openPayment(transactionId: t.id), open.method == method { return (open, false) }
        do {
            let intent = try await paymongo.createPaymentIntent(
                amount: t.amount, description: "TrustTrade escrow: \(t.serviceTitle)",
                metadata: ["transactionId": t.id.uuidString.lowercased(), "bookingId": t.bookingId.uuidString.lowercased()])
            let paymentMethod = try await paymongo.createPaymentMethod(type: method)
            let attached = try await paymongo.attach(
                intentId: intent.id, paymentMethod: paymentMethod, clientKey: intent.clientKey, returnURL: returnURL ?? defaultReturnURL)
            if let saved = try await store.insert(transactionId: t.id, intent: attached, method: method) { return (saved, true) }
            // Another request opened a try first: that one stands.
            guard let open = try await store.openPayment(transactionId: t.id) else { throw Failure.provider("payment could not be recorded") }
            return (open, false)
        } catch let error as PayMongoClient.Failure {
            logger.warning("PayMongo refused", metadata: ["error": .string(error.description)])
            throw Failure.provider(error.detail)
        }
    }

    /// The booking's escrow. It opens from the `booking.accepted` event; a
    /// consumer who is quicker than the event gets it opened from core's copy.
    public func escrowOf(bookingId: UUID, for consumer: UUID, requestId: String) async throws -> TransactionDTO? {
        if let t = try await escrow.find(bookingId: bookingId) { return t }
        guard let booking = try await bookings.booking(bookingId, requestId: requestId),
              booking.consumerId == consumer, booking.status == .accepted else { return nil }
        return try await escrow.open(for: booking)
    }

    /// A verified `payment.paid` / `payment.failed` (the `payment` queue).
    public func handle(_ event: PayMongoPaymentEvent, requestId: String?) async throws {
        guard let payment = try await store.find(intentId: event.paymentIntentId) else {
            throw UnrecoverableError("no payment for intent \(event.paymentIntentId)")
        }
        if event.status != "paid" {
            _ = try await store.settle(intentId: event.paymentIntentId, succeeded: false, providerPaymentId: event.paymentId, reason: event.type)
            return
        }
        guard event.amount == payment.amount else {
            // Never hold escrow for a different sum than was asked; a person looks at it.
            throw UnrecoverableError("payment \(event.paymentId) paid \(event.amount), expected \(payment.amount)")
        }
        _ = try await store.settle(intentId: event.paymentIntentId, succeeded: true, providerPaymentId: event.paymentId, reason: nil)
        do {
            _ = try await escrow.apply(.hold, id: payment.transactionId, method: payment.method, requestId: requestId)
        } catch EscrowStore.Failure.move(.illegal(.hold, _)) {
            // Already held (the same payment reported twice).
        }
    }

    /// PayMongo's word on a refund it took (`payment.refund.updated`).
    public func refundUpdated(_ event: PayMongoRefundEvent) async throws {
        guard event.status == "succeeded" || event.status == "failed" else { return }
        let changed = try await store.refundSettled(providerRefundId: event.refundId, ours: event.ourRefundId.flatMap(UUID.init(uuidString:)),
                                                    succeeded: event.status == "succeeded")
        if changed && event.status == "failed" {
            // The ledger says the money went back; PayMongo says it did not: a person settles it.
            logger.error("PayMongo failed a refund", metadata: ["paymongoRefundId": .string(event.refundId)])
        }
    }

    /// Sends a recorded refund to PayMongo once (the `payment` queue). A
    /// retry after a lost answer finds the refund already made at PayMongo
    /// (by our id in its notes) instead of sending the money twice; two
    /// workers never send the same refund at once.
    public func sendRefund(_ id: UUID) async throws {
        try await store.exclusively(refund: id) {
            guard let refund = try await store.refund(id), refund.status == "pending" else { return }
            guard let paymentId = refund.paymentId else {
                try await store.finishRefund(id, providerRefundId: nil, failure: "no PayMongo payment to refund")
                return
            }
            try await send(refund, paymentId: paymentId)
        }
    }

    func send(_ refund: PaymentStore.RefundRow, paymentId: String) async throws {
        let id = refund.id
        let notes = "TrustTrade refund \(id.uuidString.lowercased())"
        do {
            if let made = try await paymongo.refunds(paymentId: paymentId).first(where: { $0.notes == notes }) {
                try await store.finishRefund(id, providerRefundId: made.id, status: made.status, failure: nil)
                return
            }
            let made = try await paymongo.createRefund(paymentId: paymentId, amount: refund.amount, reason: refund.reason, notes: notes)
            try await store.finishRefund(id, providerRefundId: made.id, status: made.status, failure: nil)
        } catch let error as PayMongoClient.Failure where !error.isRetryable {
            // PayMongo will not take it: kept as failed for a person to settle.
            logger.error("PayMongo refused a refund", metadata: ["refundId": .string(id.uuidString), "error": .string(error.description)])
            try await store.finishRefund(id, providerRefundId: nil, failure: error.description)
        }
    }
}

/// Reads the core service's bookings and provider profiles (`/internal/...`).
public struct CoreLookup: Sendable {
    let client: InternalClient
    /// `CORE_BASE_URL`: one core instance or a comma-separated list.
    let instances: ServiceInstances

    public init(client: InternalClient, baseURL: String) {
        self.client = client
        self.instances = ServiceInstances(baseURL)
    }

    /// Nil when core has no such booking.
    public func booking(_ id: UUID, requestId: String) async throws -> BookingDTO? {
        do {
            return try await client.get("/internal/bookings/\(id.uuidString.lowercased())", from: instances, requestId: requestId, as: BookingDTO.self)
        } catch let error as InternalCallError where error.status == 404 {
            return nil
        }
    }

    /// The user's provider profile; nil when they have none.
    public func provider(userId: UUID, requestId: String) async throws -> ProviderDTO? {
        do {
            return try await client.get("/internal/providers/by-user/\(userId.uuidString.lowercased())", from: instances, requestId: requestId, as: ProviderDTO.self)
        } catch let error as InternalCallError where error.status == 404 {
            return nil
        }
    }
}
