import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/transactions`: a booking's escrow, seen by its consumer and provider
/// (others: 404); admins release or refund by hand.
public struct TransactionController<Context: ServiceRequestContext>: Sendable {
    let escrow: EscrowStore
    let payments: Payments

    public init(escrow: EscrowStore, payments: Payments) {
        self.escrow = escrow
        self.payments = payments
    }

    /// `group` requires a signed-in user.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: list)
        group.post("escrow", use: openEscrow)
        group.get(":id", use: show)
        group.put(":id/release", use: release)
        group.put(":id/refund", use: refund)
    }

    /// The seed's other spelling of the same moves (`/v1/escrow/...`).
    public func addEscrowRoutes(to group: RouterGroup<Context>) {
        group.post("create", use: openEscrow)
        group.get(":id", use: show)
        group.post(":id/release", use: release)
        group.post(":id/refund", use: refund)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[TransactionDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (items, total) = try await escrow.list(userId: identity.userId, page: page)
        return Envelope(items, page: page, total: total)
    }

    /// `POST /v1/transactions/escrow` `{bookingId}`: the escrow of the
    /// caller's accepted booking (opened now if the event has not yet).
    @Sendable func openEscrow(_ request: Request, context: Context) async throws -> Envelope<TransactionDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: OpenEscrowRequest.self, context: context)
        guard let bookingId = body.bookingId.flatMap(UUID.init(uuidString:)) else {
            throw APIError.validation("bookingId", "bookingId must be the booking's id (a UUID)")
        }
        let found = try await payments.escrowOf(bookingId: bookingId, for: identity.userId, requestId: context.requestId)
        guard let t = found, t.consumerId == identity.userId else { throw APIError.notFound("No accepted booking of yours") }
        return Envelope(t)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<TransactionDTO> {
        let identity = try context.requireIdentity()
        guard let t = try await escrow.find(id: try Self.id(context)),
              identity.isAdmin(orOneOf: t.consumerId, t.providerUserId)
        else { throw APIError.notFound("No such transaction") }
        return Envelope(t)
    }

    @Sendable func release(_ request: Request, context: Context) async throws -> Envelope<TransactionDTO> {
        _ = try context.requireIdentity()
        let id = try Self.id(context)
        try context.requireRole(.admin, "Escrow is released when the booking completes, or by an admin")
        return Envelope(try await escrow.apply(.release, id: id, requestId: context.requestId))
    }

    @Sendable func refund(_ request: Request, context: Context) async throws -> Envelope<TransactionDTO> {
        _ = try context.requireIdentity()
        let id = try Self.id(context)
        let body = try await request.decodeOptionalJSON(as: RefundRequest.self, default: RefundRequest(), context: context)
        if let amount = body.amount, amount <= 0 { throw APIError.validation("amount", "amount is in centavos and more than 0") }
        try context.requireRole(.admin, "Refunds outside a cancellation are made by an admin")
        return Envelope(try await escrow.apply(.refund(body.amount), id: id, requestId: context.requestId))
    }

    static func id(_ context: Context) throws -> UUID {
        try context.uuidParameter(what: "Transaction id")
    }
}
