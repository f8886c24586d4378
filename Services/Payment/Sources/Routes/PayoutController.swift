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
        let (items, total) = try await payouts.list(provider: identity.userType == .admin ? nil : identity.userId, page: page)
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
        do {
            return Envelope(try await payouts.request(provider: identity.userId, fields, requestKey: key), status: .created)
        } catch PayoutStore.Failure.keyReused {
            throw APIError(.unprocessableContent, code: .unprocessable,
                           message: "This Idempotency-Key was used for a payout of another amount or account; use a new key")
        } catch PayoutStore.Failure.insufficient(let available) {
            throw APIError(.conflict, code: "INSUFFICIENT_BALANCE",
                           message: "You can ask for up to \(Peso.format(available)) (\(available) centavos)",
                           details: [FieldError(field: "amount", message: "at most \(available)")])
        }
    }

    /// The account to send the money to (admins only; never listed).
    @Sendable func destination(_ request: Request, context: Context) async throws -> Envelope<[String: String]> {
        let identity = try context.requireIdentity()
        guard identity.userType == .admin else { throw APIError.forbidden("Only admins see payout accounts") }
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
            guard identity.userType == .admin else { throw APIError.forbidden("Only admins approve or reject payouts") }
            do {
                return Envelope(try await payouts.decide(id: id, approve: approve, admin: identity.userId, note: body.note, requestId: context.requestId))
            } catch PayoutStore.Failure.notFound {
                throw APIError.notFound("No such payout")
            } catch PayoutStore.Failure.decided(let status) {
                throw APIError.conflict("This payout is already \(status)")
            }
        }
    }
}
