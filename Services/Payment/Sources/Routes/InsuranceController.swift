import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/insurance`: a provider quotes and buys job cover for an accepted
/// booking; the customer claims on it; admins decide claims.
public struct InsuranceController<Context: ServiceRequestContext>: Sendable {
    let insurance: InsuranceStore
    let core: CoreLookup

    public init(insurance: InsuranceStore, core: CoreLookup) {
        self.insurance = insurance
        self.core = core
    }

    /// `group` requires a signed-in user (and takes Idempotency-Key).
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get("quote", use: quote)
        group.post("policies", use: buy)
        group.get("policies", use: policies)
        group.get("policies/:id", use: policy)
        group.post("policies/:id/claims", use: fileClaim)
        group.get("claims", use: claims)
        group.get("claims/:id", use: claim)
        group.get("claims/:id/destination", use: destination)
        group.post("claims/:id/approve", use: decide(approve: true))
        group.post("claims/:id/reject", use: decide(approve: false))
    }

    /// Both plans (or the one asked for) for the caller's accepted booking.
    @Sendable func quote(_ request: Request, context: Context) async throws -> Envelope<[InsuranceQuoteDTO]> {
        let identity = try context.requireIdentity()
        let query = request.uri.queryParameters
        let (bookingId, plan) = try Self.fields(bookingId: query.get("bookingId"), plan: query.get("plan"), planDefault: nil)
        let booking = try await insurable(bookingId, for: identity, requestId: context.requestId)
        let now = Date()
        let end = ISO8601.date(from: booking.scheduledEnd) ?? now
        return Envelope((plan.map { [$0] } ?? InsurancePlan.allCases).map { plan in
            let q = InsuranceQuote.quote(plan, bookingAmount: booking.estimatedTotal, jobEnds: end, now: now)
            return InsuranceQuoteDTO(plan: plan.rawValue, bookingId: booking.id, bookingAmount: q.bookingAmount, premium: q.premium, coverage: q.coverage,
                                     validFrom: ISO8601.string(from: q.validFrom), validUntil: ISO8601.string(from: q.validUntil))
        })
    }

    @Sendable func buy(_ request: Request, context: Context) async throws -> Envelope<InsurancePolicyDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: BuyInsuranceRequest.self, context: context)
        let (bookingId, plan) = try Self.fields(bookingId: body.bookingId, plan: body.plan, planDefault: .basic)
        let booking = try await insurable(bookingId, for: identity, requestId: context.requestId)
        return Envelope(try await insurance.buy(plan!, booking: booking), status: .created)
    }

    @Sendable func policies(_ request: Request, context: Context) async throws -> Envelope<[InsurancePolicyDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (items, total) = try await insurance.policies(viewer: identity, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func policy(_ request: Request, context: Context) async throws -> Envelope<InsurancePolicyDTO> {
        let identity = try context.requireIdentity()
        guard let policy = try await insurance.policy(id: try context.uuidParameter(what: "Policy id"), viewer: identity) else {
            throw APIError.notFound("No such policy")
        }
        return Envelope(policy)
    }

    @Sendable func fileClaim(_ request: Request, context: Context) async throws -> Envelope<InsuranceClaimDTO> {
        let identity = try context.requireIdentity()
        let policyId = try context.uuidParameter(what: "Policy id")
        let body = try await request.decodeJSON(as: FileClaimRequest.self, context: context)
        var v = Validator()
        let amount = body.amount ?? 0
        v.check(amount > 0, "amount", "amount is what the damage cost, in centavos")
        let description = (body.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((20...4000).contains(description.count), "description", "Describe what was damaged and how (20 to 4000 characters)")
        let destination = BankDestination.check(method: body.method, accountName: body.accountName, accountNumber: body.accountNumber, bank: body.bank, &v)
        try v.validate()
        return Envelope(try await insurance.fileClaim(policyId: policyId, claimant: identity.userId, amount: amount, description: description,
                                                      destination: destination), status: .created)
    }

    @Sendable func claims(_ request: Request, context: Context) async throws -> Envelope<[InsuranceClaimDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (items, total) = try await insurance.claims(viewer: identity, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func claim(_ request: Request, context: Context) async throws -> Envelope<InsuranceClaimDTO> {
        let identity = try context.requireIdentity()
        guard let claim = try await insurance.claim(id: try context.uuidParameter(what: "Claim id"), viewer: identity) else {
            throw APIError.notFound("No such claim")
        }
        return Envelope(claim)
    }

    /// The account to send a paid claim to (admins only; never listed).
    @Sendable func destination(_ request: Request, context: Context) async throws -> Envelope<[String: String]> {
        _ = try context.requireIdentity()
        let id = try context.uuidParameter(what: "Claim id")
        try context.requireRole(.admin, "Only admins see claim accounts")
        guard let text = try await insurance.claimDestination(id: id) else { throw APIError.notFound("No such claim") }
        return Envelope(BankDestination.unsealed(text))
    }

    func decide(approve: Bool) -> @Sendable (Request, Context) async throws -> Envelope<InsuranceClaimDTO> {
        { request, context in
            let identity = try context.requireIdentity()
            let id = try context.uuidParameter(what: "Claim id")
            let body = try await request.decodeOptionalJSON(as: ClaimDecisionRequest.self, default: ClaimDecisionRequest(), context: context)
            if let amount = body.amount, amount <= 0 { throw APIError.validation("amount", "amount is in centavos and more than 0") }
            try context.requireRole(.admin, "Only admins decide claims")
            return Envelope(try await insurance.decideClaim(id: id, approve: approve, amount: body.amount, admin: identity.userId, note: body.note,
                                                            requestId: context.requestId))
        }
    }

    /// The caller's booking, if cover can still be bought for it.
    func insurable(_ bookingId: UUID, for identity: Identity, requestId: String) async throws -> BookingDTO {
        guard let booking = try await core.booking(bookingId, requestId: requestId), booking.providerUserId == identity.userId else {
            throw APIError.notFound("No booking of yours to cover")
        }
        guard booking.status == .accepted || booking.status == .inProgress else {
            throw APIError(.conflict, code: .illegalBookingState, message: "Cover is bought for an accepted booking; this one is \(booking.status.rawValue)",
                           details: [FieldError(field: "status", message: booking.status.rawValue)])
        }
        return booking
    }

    static func fields(bookingId: String?, plan: String?, planDefault: InsurancePlan?) throws -> (UUID, InsurancePlan?) {
        var v = Validator()
        let id = bookingId.flatMap(UUID.init(uuidString:))
        v.check(id != nil, "bookingId", "bookingId must be the booking's id (a UUID)")
        let chosen = plan.map(InsurancePlan.init(rawValue:)) ?? planDefault
        v.check(plan == nil || chosen != nil, "plan", "plan must be basic or plus")
        try v.validate()
        return (id!, chosen)
    }
}
