import Foundation

/// What the platform knows of a provider when they ask for a loan.
public struct LoanHistory: Sendable, Equatable {
    /// 0–1000 (seed 4.4).
    public var trustScore: Int
    /// Escrows released to them.
    public var releasedJobs: Int
    public var firstReleaseAt: Date?
    /// Their share of what was released in the last 90 days.
    public var earnings90Days: Int64
    /// Disputes they lost (refund outcomes) in the last 180 days.
    public var disputesLost180Days: Int
    /// A loan asked for or still being repaid.
    public var hasOpenLoan: Bool

    public init(trustScore: Int, releasedJobs: Int, firstReleaseAt: Date?, earnings90Days: Int64, disputesLost180Days: Int, hasOpenLoan: Bool) {
        self.trustScore = trustScore
        self.releasedJobs = releasedJobs
        self.firstReleaseAt = firstReleaseAt
        self.earnings90Days = earnings90Days
        self.disputesLost180Days = disputesLost180Days
        self.hasOpenLoan = hasOpenLoan
    }
}

/// What a provider may borrow, and why not when they may not.
public struct LoanOffer: Sendable, Equatable {
    public var eligible: Bool
    public var reasons: [String]
    /// Centavos, a whole number of pesos.
    public var limit: Int64
    /// Flat interest per month, in basis points of the principal.
    public var monthlyRateBps: Int64
    public var maxTermMonths: Int
}

/// One repayment: due on `dueDate`, interest first.
public struct LoanInstallment: Sendable, Equatable {
    public var number: Int
    public var dueDate: Date
    public var principal: Int64
    public var interest: Int64
    public var total: Int64 { principal + interest }
}

/// Micro-loans for providers, lent against what they earn here. Pure.
///
/// Eligible: trust score ≥ 600, at least 5 released jobs with the first 60
/// days ago or more, at most one dispute lost in 180 days, no other loan.
/// Limit: half of the last 90 days' earnings, at most ₱50,000, whole pesos;
/// below ₱1,000 there is nothing to lend. Interest is flat per month by
/// trust (≥ 850: 1.5 %, ≥ 750: 2 %, else 3 %); terms of 1 to 6 months.
public enum LoanPolicy {
    public static let minimumPrincipal: Int64 = 100_000
    public static let maximumPrincipal: Int64 = 5_000_000
    public static let maxTermMonths = 6
    public static let minimumTrust = 600

    public static func offer(_ h: LoanHistory, now: Date) -> LoanOffer {
        var reasons: [String] = []
        if h.hasOpenLoan { reasons.append("You already have a loan open") }
        if h.trustScore < minimumTrust { reasons.append("A trust score of \(minimumTrust) or more is needed (yours: \(h.trustScore))") }
        if h.releasedJobs < 5 { reasons.append("At least 5 paid jobs on TrustTrade are needed (yours: \(h.releasedJobs))") }
        if h.firstReleaseAt.map({ now.timeIntervalSince($0) < 60 * 86_400 }) ?? true {
            reasons.append("Your first paid job must be at least 60 days old")
        }
        if h.disputesLost180Days > 1 { reasons.append("More than one dispute lost in the last 180 days") }
        let limit = min(maximumPrincipal, h.earnings90Days / 2) / 100 * 100
        if limit < minimumPrincipal { reasons.append("Your last 90 days' earnings allow less than ₱1,000") }
        let rate: Int64 = h.trustScore >= 850 ? 150 : h.trustScore >= 750 ? 200 : 300
        return LoanOffer(eligible: reasons.isEmpty, reasons: reasons, limit: max(0, limit), monthlyRateBps: rate, maxTermMonths: maxTermMonths)
    }

    /// Equal monthly repayments from `start`: the principal and the flat
    /// interest (half a centavo up) each split evenly, the last month taking
    /// what the division leaves.
    public static func schedule(principal: Int64, monthlyRateBps: Int64, termMonths: Int, start: Date) -> [LoanInstallment] {
        precondition(termMonths >= 1 && principal > 0)
        let months = Int64(termMonths)
        let interest = (principal * monthlyRateBps * months + 5_000) / 10_000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Manila")!
        return (1...termMonths).map { n in
            let last = n == termMonths
            return LoanInstallment(
                number: n, dueDate: calendar.date(byAdding: .month, value: n, to: start)!,
                principal: last ? principal - principal / months * (months - 1) : principal / months,
                interest: last ? interest - interest / months * (months - 1) : interest / months)
        }
    }

    /// How a repayment of `amount` splits: the interest still due first.
    public static func split(_ amount: Int64, interestDue: Int64, principalDue: Int64) -> (interest: Int64, principal: Int64) {
        let interest = min(amount, interestDue)
        return (interest, min(amount - interest, principalDue))
    }
}
