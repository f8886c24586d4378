import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/payouts`: a provider sees their balance and payouts and asks for
/// one; admins see all, read the account to pay, and approve or reject.
public struct PayoutController<Context: ServiceRequestContext>: Sendable {
    let payouts: PayoutStore

    public init(payouts: PayoutStore) {
        self.payouts = payouts
    }

    /// `group` requires a signed-in user (and takes Idempotency-Key).
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: list)
        group.get("balance", use: balance)
        group.post("request", use: request)
        group.get(":id/destination", use: destination)
        group.post(":id/approve", use: decide(approve: true))
        group.post(":id/reject", use: decide(approve: false))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[PayoutDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (items, total) = try await payouts.list(provider: identity.isAdmin ? nil : identity.userId, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func balance(_ request: Request, context: Context) async throws -> Envelope<BalanceDTO> {
        let identity = try context.requireIdentity()
        return Envelope(try await payouts.balance(provider: identity.userId))
    }

    @Sendable func request(_ request: Request, context: Context) async throws -> Envelope<PayoutDTO> {
        let identity = try context.requireIdentity()
        let fields = try PayoutFields.validate(try await request.decodeJSON(as: PayoutRequest.self, context: context))
        // The Idempotency-Key goes with the payout into the database: it holds
        // even when the key's kept answer is gone (an instance killed before it was kept).
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        return Envelope(try await payouts.request(provider: identity.userId, fields, requestKey: key), status: .created)
    }

    /// The account to send the money to (admins only; never listed).
    @Sendable func destination(_ request: Request, context: Context) async throws -> Envelope<[String: String]> {
        try context.requireRole(.admin, "Only admins see payout accounts")
        guard let text = try await payouts.destination(id: try context.uuidParameter(what: "Payout id")) else {
            throw APIError.notFound("No such payout")
        }
        return Envelope(BankDestination.unsealed(text))
    }

    func decide(approve: Bool) -> @Sendable (Request, Context) async throws -> Envelope<PayoutDTO> {
        { request, context in
            let identity = try context.requireIdentity()
            let id = try context.uuidParameter(what: "Payout id")
            let body = try await request.decodeOptionalJSON(as: DecisionRequest.self, default: DecisionRequest(), context: context)
            try context.requireRole(.admin, "Only admins approve or reject payouts")
            return Envelope(try await payouts.decide(id: id, approve: approve, admin: identity.userId, note: body.note, requestId: context.requestId))
        }
    }
}
