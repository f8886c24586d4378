import Foundation

/// Job cover a provider buys for one booking: damage to the customer's
/// property during the job, claimed by the customer. The premium is taken
/// from the booking's release (a new provider needs no balance to buy it);
/// a booking called off before any work is never charged.
public enum InsurancePlan: String, Codable, Sendable, CaseIterable {
    case basic, plus

    /// Premium in basis points of the booking amount, its minimum, and the
    /// cover as a multiple of the amount between a floor and a ceiling.
    var terms: (premiumBps: Int64, minimumPremium: Int64, coverMultiple: Int64, coverFloor: Int64, coverCeiling: Int64) {
        switch self {
        case .basic: (200, 2_500, 5, 500_000, 5_000_000)
        case .plus: (350, 4_000, 10, 1_000_000, 20_000_000)
        }
    }
}

/// What a plan costs and covers for one booking. Pure.
public struct InsuranceQuote: Sendable, Equatable {
    public var plan: InsurancePlan
    public var bookingAmount: Int64
    public var premium: Int64
    public var coverage: Int64
    public var validFrom: Date
    public var validUntil: Date

    /// Damage is often found after the job: claims are taken this long after it ends.
    public static let claimWindow: TimeInterval = 30 * 86_400

    /// Premium: the plan's share of the amount, half a centavo up, at least
    /// its minimum. Cover: a multiple of the amount, kept between the plan's
    /// floor and ceiling. Valid from now until the claim window after the job.
    public static func quote(_ plan: InsurancePlan, bookingAmount: Int64, jobEnds: Date, now: Date) -> InsuranceQuote {
        let t = plan.terms
        let premium = max(t.minimumPremium, (bookingAmount * t.premiumBps + 5_000) / 10_000)
        let coverage = min(t.coverCeiling, max(t.coverFloor, bookingAmount * t.coverMultiple))
        return InsuranceQuote(plan: plan, bookingAmount: bookingAmount, premium: premium, coverage: coverage,
                              validFrom: now, validUntil: max(now, jobEnds).addingTimeInterval(claimWindow))
    }
}

/// Whether a claim may be filed or paid. Pure.
public enum InsuranceClaimRule {
    public enum Refusal: Error, Sendable, Equatable {
        /// The policy is void (booking called off) or its window has passed.
        case notInForce
        /// More than the cover left (`left` centavos).
        case overCover(left: Int64)
    }

    public static func check(amount: Int64, coverage: Int64, alreadyPaid: Int64, policyActive: Bool, validUntil: Date, now: Date) throws(Refusal) {
        guard policyActive, now <= validUntil else { throw .notInForce }
        let left = coverage - alreadyPaid
        guard amount > 0, amount <= left else { throw .overCover(left: max(0, left)) }
    }
}
