import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/loans`: a provider sees their offer and asks for a loan; admins
/// approve (the money is on the provider's balance at once) or reject.
public struct LoanController<Context: ServiceRequestContext>: Sendable {
    let loans: LoanStore
    let core: CoreLookup

    public init(loans: LoanStore, core: CoreLookup) {
        self.loans = loans
        self.core = core
    }

    /// `group` requires a signed-in user (and takes Idempotency-Key).
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get("offer", use: offer)
        group.post(use: apply)
        group.get(use: list)
        group.get(":id", use: show)
        group.post(":id/approve", use: decide(approve: true))
        group.post(":id/reject", use: decide(approve: false))
    }

    /// Eligibility, limit and rate; with `amount` and `termMonths`, the schedule.
    @Sendable func offer(_ request: Request, context: Context) async throws -> Envelope<LoanOfferDTO> {
        let identity = try providerIdentity(context)
        let query = request.uri.queryParameters
        var v = Validator()
        let amount = query.get("amount").map { Int64($0) ?? -1 }
        let term = query.get("termMonths").map { Int($0) ?? -1 }
        if let amount {
            v.check((LoanPolicy.minimumPrincipal...LoanPolicy.maximumPrincipal).contains(amount), "amount",
                    "amount is ₱1,000.00 to ₱50,000.00 (100000 to 5000000 centavos)")
        }
        if let term { v.check((1...LoanPolicy.maxTermMonths).contains(term), "termMonths", "termMonths is 1 to \(LoanPolicy.maxTermMonths)") }
        try v.validate()
        let trust = try await trustScore(of: identity.userId, requestId: context.requestId)
        let now = Date()
        let offer = LoanPolicy.offer(try await loans.history(provider: identity.userId, trustScore: trust, now: now), now: now)
        let schedule = amount.flatMap { amount in
            term.map { term in
                LoanPolicy.schedule(principal: amount, monthlyRateBps: offer.monthlyRateBps, termMonths: term, start: now).map {
                    LoanInstallmentDTO(number: $0.number, dueDate: ISO8601.string(from: $0.dueDate), principal: $0.principal, interest: $0.interest,
                                       paid: 0, status: "upcoming")
                }
            }
        }
        return Envelope(LoanOfferDTO(eligible: offer.eligible, reasons: offer.reasons, limit: offer.limit, monthlyRateBps: offer.monthlyRateBps,
                                     maxTermMonths: offer.maxTermMonths, trustScore: trust, schedule: schedule))
    }

    @Sendable func apply(_ request: Request, context: Context) async throws -> Envelope<LoanDTO> {
        let identity = try providerIdentity(context)
        let body = try await request.decodeJSON(as: LoanApplicationRequest.self, context: context)
        var v = Validator()
        let amount = body.amount ?? 0
        v.check((LoanPolicy.minimumPrincipal...LoanPolicy.maximumPrincipal).contains(amount) && amount % 100 == 0, "amount",
                "amount is whole pesos, ₱1,000.00 to ₱50,000.00 (100000 to 5000000 centavos)")
        let term = body.termMonths ?? 0
        v.check((1...LoanPolicy.maxTermMonths).contains(term), "termMonths", "termMonths is 1 to \(LoanPolicy.maxTermMonths)")
        let purpose = (body.purpose ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(purpose.count <= 500, "purpose", "purpose is at most 500 characters")
        try v.validate()
        let trust = try await trustScore(of: identity.userId, requestId: context.requestId)
        return Envelope(try await loans.apply(provider: identity.userId, amount: amount, termMonths: term, purpose: purpose, trustScore: trust),
                        status: .created)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[LoanDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (items, total) = try await loans.list(viewer: identity, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<LoanDTO> {
        let identity = try context.requireIdentity()
        guard let loan = try await loans.find(id: try context.uuidParameter(what: "Loan id"), viewer: identity) else {
            throw APIError.notFound("No such loan")
        }
        return Envelope(loan)
    }

    func decide(approve: Bool) -> @Sendable (Request, Context) async throws -> Envelope<LoanDTO> {
        { request, context in
            let identity = try context.requireIdentity()
            let id = try context.uuidParameter(what: "Loan id")
            let body = try await request.decodeOptionalJSON(as: DecisionRequest.self, default: DecisionRequest(), context: context)
            try context.requireRole(.admin, "Only admins approve or reject loans")
            return Envelope(try await loans.decide(id: id, approve: approve, admin: identity.userId, note: body.note, requestId: context.requestId))
        }
    }

    func providerIdentity(_ context: Context) throws -> Identity {
        try context.requireRole(.provider, "Loans are for providers")
    }

    /// The trust score core shows for the provider (0 without a profile).
    func trustScore(of userId: UUID, requestId: String) async throws -> Int {
        try await core.provider(userId: userId, requestId: requestId)?.trustScore ?? 0
    }
}
