import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/payments`: the booking's consumer pays its escrow through PayMongo;
/// PayMongo's webhook (signature-checked, no token) says how it went.
public struct PaymentController<Context: ServiceRequestContext>: Sendable {
    let payments: Payments
    let webhookSecret: String
    let liveMode: Bool

    public init(payments: Payments, webhookSecret: String, liveMode: Bool) {
        self.payments = payments
        self.webhookSecret = webhookSecret
        self.liveMode = liveMode
    }

    /// `signedIn` requires a token; `webhook` is public (checked by signature).
    public func addRoutes(signedIn: RouterGroup<Context>, webhook: RouterGroup<Context>) {
        signedIn.post("create", use: create)
        signedIn.post("refund", use: refund)
        signedIn.get(":id", use: show)
        webhook.post("webhook", use: receive)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Envelope<PaymentDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: CreatePaymentRequest.self, context: context)
        var v = Validator()
        let bookingId = body.bookingId.flatMap(UUID.init(uuidString:))
        v.check(bookingId != nil, "bookingId", "bookingId must be the booking's id (a UUID)")
        let method = body.method ?? "gcash"
        v.check(["gcash", "card"].contains(method), "method", "method must be gcash or card")
        if let url = body.returnUrl {
            v.check(URL(string: url).map { ["https", "http"].contains($0.scheme ?? "") } ?? false, "returnUrl", "returnUrl must be an http(s) URL")
        }
        try v.validate()
        let (payment, created) = try await payments.create(
            bookingId: bookingId!, method: method, returnURL: body.returnUrl, payer: identity.userId, requestId: context.requestId)
        return Envelope(payment, status: created ? .created : .ok)
    }

    /// An admin sends (part of) an escrow back to the consumer.
    @Sendable func refund(_ request: Request, context: Context) async throws -> Envelope<TransactionDTO> {
        _ = try context.requireIdentity()
        let body = try await request.decodeJSON(as: PaymentRefundRequest.self, context: context)
        var v = Validator()
        let id = body.transactionId.flatMap(UUID.init(uuidString:))
        v.check(id != nil, "transactionId", "transactionId must be a UUID")
        if let amount = body.amount { v.check(amount > 0, "amount", "amount is in centavos and more than 0") }
        try v.validate()
        try context.requireRole(.admin, "Refunds outside a cancellation are made by an admin")
        return Envelope(try await payments.escrow.apply(.refund(body.amount), id: id!, requestId: context.requestId))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<PaymentDTO> {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter(what: "Payment id")
        guard let payment = try await payments.store.find(id: id),
              let t = try await payments.escrow.find(id: payment.transactionId),
              identity.isAdmin(orOneOf: t.consumerId, t.providerUserId)
        else { throw APIError.notFound("No such payment") }
        return Envelope(payment)
    }

    /// PayMongo's webhook: the signature over the raw body, a fresh
    /// timestamp, an event id not seen before; the work goes to the queue.
    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let bytes = Array(buffer: body)
        guard let header = request.headers[HTTPField.Name("Paymongo-Signature")!] else {
            throw APIError.unauthorized("Paymongo-Signature is required")
        }
        try WebhookSignature.verify(header: header, body: bytes, secret: webhookSecret, liveMode: liveMode, now: Int64(Date().timeIntervalSince1970))
        if let event = Self.paymentEvent(bytes) {
            let name = event.status == "paid" ? EventType.paymongoPaymentPaid : EventType.paymongoPaymentFailed
            _ = try await payments.store.accept(eventId: event.eventId, type: event.type,
                                                job: EventEnvelope(type: name, requestId: context.requestId, payload: event))
        } else if let event = Self.refundEvent(bytes) {
            _ = try await payments.store.accept(eventId: event.eventId, type: "payment.refund.updated",
                                                job: EventEnvelope(type: EventType.paymongoRefundUpdated, requestId: context.requestId, payload: event))
        }
        // Anything else signed by PayMongo is acknowledged and ignored.
        return Response(status: .ok)
    }

    /// `payment.refund.updated`: the event's data is the refund.
    static func refundEvent(_ bytes: [UInt8]) -> PayMongoRefundEvent? {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              let data = root["data"] as? [String: Any], let eventId = data["id"] as? String,
              let attributes = data["attributes"] as? [String: Any], attributes["type"] as? String == "payment.refund.updated",
              let refund = attributes["data"] as? [String: Any], let refundId = refund["id"] as? String,
              let status = (refund["attributes"] as? [String: Any])?["status"] as? String
        else { return nil }
        let notes = (refund["attributes"] as? [String: Any])?["notes"] as? String
        let ours = notes.flatMap { $0.hasPrefix("TrustTrade refund ") ? String($0.dropFirst("TrustTrade refund ".count)) : nil }
        return PayMongoRefundEvent(eventId: eventId, refundId: refundId, status: status, ourRefundId: ours)
    }

    /// `payment.paid` / `payment.failed` in PayMongo's event shape.
    static func paymentEvent(_ bytes: [UInt8]) -> PayMongoPaymentEvent? {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              let data = root["data"] as? [String: Any], let eventId = data["id"] as? String,
              let attributes = data["attributes"] as? [String: Any], let type = attributes["type"] as? String,
              type == "payment.paid" || type == "payment.failed",
              let payment = attributes["data"] as? [String: Any], let paymentId = payment["id"] as? String,
              let p = payment["attributes"] as? [String: Any], let intentId = p["payment_intent_id"] as? String
        else { return nil }
        return PayMongoPaymentEvent(
            eventId: eventId, type: type, paymentId: paymentId, paymentIntentId: intentId,
            status: p["status"] as? String ?? (type == "payment.paid" ? "paid" : "failed"), amount: (p["amount"] as? NSNumber)?.int64Value ?? 0)
    }
}
