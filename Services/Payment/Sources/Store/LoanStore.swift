import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.micro_loans` and their installments. The principal goes to the
/// provider's balance on approval; each installment falls due as a delayed
/// job that takes it from the balance (interest first), again daily while
/// the balance falls short, and before any payout.
public struct LoanStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    static let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum Failure: Error, Equatable {
        case notFound
        case notEligible([String])
        case overLimit(Int64)
        case alreadyOpen
        case decided(String)
    }

    /// What the platform's own records say of the provider.
    public func history(provider: UUID, trustScore: Int, now: Date = Date()) async throws -> LoanHistory {
        try await client.withConnection { try await Self.history(provider: provider, trustScore: trustScore, now: now, on: $0, logger: logger) }
    }

    static func history(provider: UUID, trustScore: Int, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> LoanHistory {
        let since90 = now.addingTimeInterval(-90 * 86_400)
        let since180 = now.addingTimeInterval(-180 * 86_400)
        let rows = try await connection.query(
            """
            SELECT
                (SELECT count(*)::int FROM payment.transactions WHERE provider_user_id = \(provider) AND released_amount > 0),
                (SELECT min(released_at) FROM payment.transactions WHERE provider_user_id = \(provider) AND released_amount > 0),
                (SELECT COALESCE(sum(released_amount - released_fee), 0)::bigint FROM payment.transactions
                 WHERE provider_user_id = \(provider) AND released_at > \(since90)),
                (SELECT count(*)::int FROM payment.disputes d JOIN payment.transactions t ON t.id = d.transaction_id
                 WHERE t.provider_user_id = \(provider) AND d.outcome IN ('refund', 'partial') AND d.resolved_at > \(since180)),
                EXISTS (SELECT 1 FROM payment.micro_loans WHERE provider_user_id = \(provider) AND status IN ('pending', 'active'))
            """, logger: logger)
        for try await (jobs, first, earnings, lost, open) in rows.decode((Int, Date?, Int64, Int, Bool).self) {
            return LoanHistory(trustScore: trustScore, releasedJobs: jobs, firstReleaseAt: first, earnings90Days: earnings,
                               disputesLost180Days: lost, hasOpenLoan: open)
        }
        throw Failure.notFound
    }

    /// A provider asks; eligibility and limit are checked against their
    /// history now (and the admin sees the trust score it was asked with).
    public func apply(provider: UUID, amount: Int64, termMonths: Int, purpose: String, trustScore: Int, now: Date = Date()) async throws -> LoanDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                try await EscrowStore.lockBalance(of: provider, on: connection, logger: logger)
                let offer = LoanPolicy.offer(
                    try await Self.history(provider: provider, trustScore: trustScore, now: now, on: connection, logger: logger), now: now)
                guard offer.eligible else { throw Failure.notEligible(offer.reasons) }
                guard amount <= offer.limit else { throw Failure.overLimit(offer.limit) }
                let rows = try await connection.query(
                    """
                    INSERT INTO payment.micro_loans (provider_user_id, amount, monthly_rate_bps, term_months, purpose, trust_score)
                    VALUES (\(provider), \(amount), \(Int(offer.monthlyRateBps)), \(termMonths), \(purpose), \(trustScore))
                    RETURNING id
                    """, logger: logger)
                var id: UUID?
                for try await i in rows.decode(UUID.self) { id = i }
                return try await Self.loan(id!, now: now, on: connection, logger: logger)!
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw Failure.alreadyOpen
        }
    }

    /// An admin's decision, once. Approved: the schedule starts today, the
    /// principal is on the provider's balance, each installment's collection
    /// is queued for its due date.
    public func decide(id: UUID, approve: Bool, admin: UUID, note: String?, now: Date = Date(), requestId: String?) async throws -> LoanDTO {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT provider_user_id, amount, monthly_rate_bps, term_months, status FROM payment.micro_loans WHERE id = \(id) FOR UPDATE",
                logger: logger)
            var found: (UUID, Int64, Int, Int, String)?
            for try await row in rows.decode((UUID, Int64, Int, Int, String).self) { found = row }
            guard let (provider, amount, rate, term, status) = found else { throw Failure.notFound }
            guard status == "pending" else { throw Failure.decided(status) }
            guard approve else {
                try await connection.query(
                    "UPDATE payment.micro_loans SET status = 'rejected', decided_by = \(admin), note = \(note) WHERE id = \(id)", logger: logger)
                return try await Self.loan(id, now: now, on: connection, logger: logger)!
            }
            let schedule = LoanPolicy.schedule(principal: amount, monthlyRateBps: Int64(rate), termMonths: term, start: now)
            for i in schedule {
                try await connection.query(
                    """
                    INSERT INTO payment.loan_installments (loan_id, number, due_date, principal, interest)
                    VALUES (\(id), \(i.number), \(i.dueDate), \(i.principal), \(i.interest))
                    """, logger: logger)
                try await Self.outbox.publish(
                    LoanInstallmentDue(loanId: id), requestId: requestId,
                    delay: .seconds(max(0, i.dueDate.timeIntervalSince(now))), on: connection, logger: logger)
            }
            try await connection.query(
                """
                UPDATE payment.micro_loans SET status = 'active', decided_by = \(admin), note = \(note), approved_at = \(now), disbursed_at = \(now),
                    due_date = \(schedule.last!.dueDate)
                WHERE id = \(id)
                """, logger: logger)
            try await EscrowStore.lockBalance(of: provider, on: connection, logger: logger)
            try await EscrowStore.write(.disburseLoan(amount, provider: provider), transaction: nil, on: connection, logger: logger)
            let notice = NotifyUserRequest(userId: provider, kind: .loanApproved, variables: [
                "amount": Peso.format(amount), "total": Peso.format(schedule.reduce(0) { $0 + $1.total }), "termMonths": String(term),
                "firstDue": ManilaDate.format(schedule[0].dueDate),
            ], data: ["loanId": id.uuidString.lowercased()])
            try await Self.outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
            return try await Self.loan(id, now: now, on: connection, logger: logger)!
        }
    }

    /// The `loan.installment-due` job: takes what is due from the balance;
    /// when it falls short, tries again in a day (one retry chain per loan).
    @discardableResult
    public func collect(loanId: UUID, now: Date = Date(), requestId: String?) async throws -> Int64 {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query("SELECT provider_user_id FROM payment.micro_loans WHERE id = \(loanId)", logger: logger)
            var provider: UUID?
            for try await p in rows.decode(UUID.self) { provider = p }
            guard let provider else { return 0 }
            try await EscrowStore.lockBalance(of: provider, on: connection, logger: logger)
            let (collected, stillDue) = try await Self.collectDue(provider: provider, now: now, requestId: requestId, on: connection, logger: logger)
            if stillDue > 0 {
                let retry = now.addingTimeInterval(86_400)
                let claimed = try await connection.query(
                    """
                    UPDATE payment.micro_loans SET collection_retry_at = \(retry)
                    WHERE id = \(loanId) AND (collection_retry_at IS NULL OR collection_retry_at <= \(now)) RETURNING id
                    """, logger: logger)
                for try await _ in claimed.decode(UUID.self) {
                    try await Self.outbox.publish(
                        LoanInstallmentDue(loanId: loanId), requestId: requestId, delay: .seconds(86_400), on: connection, logger: logger)
                }
            }
            return collected
        }
    }

    /// Takes the provider's due installments from their balance, as far as
    /// it goes. The caller holds the balance lock. Answers what was taken
    /// and what is still due.
    static func collectDue(provider: UUID, now: Date, requestId: String?, on connection: PostgresConnection, logger: Logger) async throws
        -> (collected: Int64, stillDue: Int64)
    {
        let loans = try await connection.query(
            "SELECT id FROM payment.micro_loans WHERE provider_user_id = \(provider) AND status = 'active' FOR NO KEY UPDATE", logger: logger)
        var loanId: UUID?
        for try await id in loans.decode(UUID.self) { loanId = id }
        guard let loanId else { return (0, 0) }
        var available = -(try await EscrowStore.ledgerSum(account: LedgerAccount.providerPayable(provider).description, on: connection, logger: logger))
        let due = try await connection.query(
            """
            SELECT number, principal - paid_principal, interest - paid_interest FROM payment.loan_installments
            WHERE loan_id = \(loanId) AND paid_at IS NULL AND due_date <= \(now) ORDER BY number
            """, logger: logger)
        var owed: [(Int, Int64, Int64)] = []
        for try await row in due.decode((Int, Int64, Int64).self) { owed.append(row) }
        var interest: Int64 = 0, principal: Int64 = 0, stillDue: Int64 = 0
        for (number, principalDue, interestDue) in owed {
            let take = min(max(0, available), principalDue + interestDue)
            let part = LoanPolicy.split(take, interestDue: interestDue, principalDue: principalDue)
            available -= take
            stillDue += principalDue + interestDue - take
            guard take > 0 else { continue }
            interest += part.interest
            principal += part.principal
            try await connection.query(
                """
                UPDATE payment.loan_installments SET paid_interest = paid_interest + \(part.interest), paid_principal = paid_principal + \(part.principal),
                    paid_at = CASE WHEN \(take) = \(principalDue + interestDue) THEN \(now) END
                WHERE loan_id = \(loanId) AND number = \(number)
                """, logger: logger)
        }
        if interest + principal > 0 {
            try await EscrowStore.write(.repayLoan(interest: interest, principal: principal, provider: provider), transaction: nil, on: connection, logger: logger)
            try await connection.query(
                """
                UPDATE payment.micro_loans SET status = 'repaid', repaid_at = \(now)
                WHERE id = \(loanId) AND NOT EXISTS (SELECT 1 FROM payment.loan_installments WHERE loan_id = \(loanId) AND paid_at IS NULL)
                """, logger: logger)
        }
        return (interest + principal, stillDue)
    }

    // MARK: Reading

    public func find(id: UUID, viewer: Identity, now: Date = Date()) async throws -> LoanDTO? {
        try await client.withConnection { connection in
            guard let loan = try await Self.loan(id, now: now, on: connection, logger: logger),
                  viewer.isAdmin(orOneOf: loan.providerUserId)
            else { return nil }
            return loan
        }
    }

    /// The provider's loans; for admins every loan, the pending first.
    public func list(viewer: Identity, page: PageRequest, now: Date = Date()) async throws -> ([LoanDTO], Int) {
        try await client.withConnection { connection in
            let admin = viewer.isAdmin
            let rows = try await connection.query(
                """
                SELECT id, count(*) OVER ()::int FROM payment.micro_loans WHERE \(admin) OR provider_user_id = \(viewer.userId)
                ORDER BY (status = 'pending') DESC, created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """, logger: logger)
            var ids: [UUID] = []
            var total = 0
            for try await (id, count) in rows.decode((UUID, Int).self) {
                ids.append(id)
                total = count
            }
            var items: [LoanDTO] = []
            for id in ids {
                if let loan = try await Self.loan(id, now: now, on: connection, logger: logger) { items.append(loan) }
            }
            return (items, total)
        }
    }

    static func loan(_ id: UUID, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> LoanDTO? {
        let rows = try await connection.query(
            """
            SELECT id, provider_user_id, amount, monthly_rate_bps, term_months, purpose, trust_score, status, note, approved_at, due_date,
                repaid_at, created_at
            FROM payment.micro_loans WHERE id = \(id)
            """, logger: logger)
        var loan: LoanDTO?
        for try await row in rows {
            var cells = row.makeIterator()
            func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
            let (id, provider, amount, rate, term, purpose, trust, status) =
                (try next(UUID.self), try next(UUID.self), try next(Int64.self), try next(Int.self), try next(Int.self), try next(String.self),
                 try next(Int.self), try next(String.self))
            let (note, approved, due, repaid, created) = (try next(String?.self), try next(Date?.self), try next(Date?.self), try next(Date?.self),
                                                          try next(Date.self))
            loan = LoanDTO(
                id: id, providerUserId: provider, amount: amount, monthlyRateBps: Int64(rate), termMonths: term, purpose: purpose, trustScore: trust,
                status: status, totalInterest: 0, repaid: 0, outstanding: 0, note: note, approvedAt: approved.map(ISO8601.string(from:)),
                dueDate: due.map(ISO8601.string(from:)), repaidAt: repaid.map(ISO8601.string(from:)), createdAt: ISO8601.string(from: created),
                installments: [])
        }
        guard var loan else { return nil }
        let installments = try await connection.query(
            """
            SELECT number, due_date, principal, interest, paid_principal + paid_interest, paid_at IS NOT NULL
            FROM payment.loan_installments WHERE loan_id = \(id) ORDER BY number
            """, logger: logger)
        for try await (number, due, principal, interest, paid, settled) in installments.decode((Int, Date, Int64, Int64, Int64, Bool).self) {
            loan.installments.append(LoanInstallmentDTO(
                number: number, dueDate: ISO8601.string(from: due), principal: principal, interest: interest, paid: paid,
                status: settled ? "paid" : due <= now ? "due" : "upcoming"))
        }
        if loan.installments.isEmpty {
            // Not approved: the interest it would carry from today.
            loan.totalInterest = LoanPolicy.schedule(principal: loan.amount, monthlyRateBps: loan.monthlyRateBps, termMonths: loan.termMonths, start: now)
                .reduce(0) { $0 + $1.interest }
        } else {
            loan.totalInterest = loan.installments.reduce(0) { $0 + $1.interest }
            loan.repaid = loan.installments.reduce(0) { $0 + $1.paid }
            loan.outstanding = loan.amount + loan.totalInterest - loan.repaid
        }
        return loan
    }
}
