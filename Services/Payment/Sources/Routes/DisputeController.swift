import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/disputes`: the consumer opens one while the escrow is held (release
/// waits); an admin resolves it with a release, a refund or both.
public struct DisputeController<Context: ServiceRequestContext>: Sendable {
    let disputes: DisputeStore

    public init(disputes: DisputeStore) {
        self.disputes = disputes
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.post(use: open)
        group.get(":id", use: show)
        group.post(":id/resolve", use: resolve)
    }

    @Sendable func open(_ request: Request, context: Context) async throws -> Envelope<DisputeDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: OpenDisputeRequest.self, context: context)
        var v = Validator()
        let id = body.transactionId.flatMap(UUID.init(uuidString:))
        v.check(id != nil, "transactionId", "transactionId must be a UUID")
        let reason = (body.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((10...2000).contains(reason.count), "reason", "Tell us what went wrong (10 to 2000 characters)")
        try v.validate()
        return Envelope(try await disputes.open(by: identity.userId, transactionId: id!, reason: reason, requestId: context.requestId), status: .created)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<DisputeDTO> {
        let identity = try context.requireIdentity()
        guard let dispute = try await disputes.find(id: try context.uuidParameter(what: "Dispute id"), viewer: identity) else {
            throw APIError.notFound("No such dispute")
        }
        return Envelope(dispute)
    }

    @Sendable func resolve(_ request: Request, context: Context) async throws -> Envelope<DisputeDTO> {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter(what: "Dispute id")
        let body = try await request.decodeJSON(as: ResolveDisputeRequest.self, context: context)
        var v = Validator()
        let outcome = body.outcome.flatMap(DisputeStore.Outcome.init(rawValue:))
        v.check(outcome != nil, "outcome", "outcome must be release, refund or partial")
        if outcome == .partial { v.check((body.refundAmount ?? 0) > 0, "refundAmount", "A partial outcome needs refundAmount (centavos)") }
        try v.validate()
        try context.requireRole(.admin, "Only admins resolve disputes")
        return Envelope(try await disputes.resolve(
            id: id, by: identity.userId, outcome: outcome!, refundAmount: outcome == .partial ? body.refundAmount : nil,
            note: body.note, requestId: context.requestId))
    }
}
