import Foundation

/// A ledger account. Asset accounts carry debit (positive) balances,
/// liability and revenue accounts credit (negative) ones.
public enum LedgerAccount: Sendable, Hashable, CustomStringConvertible {
    /// Money PayMongo collected for us and not yet refunded (asset).
    case processorClearing
    /// Money held for one transaction until release or refund (liability).
    case escrow(UUID)
    /// What the platform owes a provider (liability): the available balance.
    case providerPayable(UUID)
    /// The platform's fees (revenue).
    case platformRevenue
    /// Asked-for payouts waiting for an admin (liability, set aside).
    case payoutsPending(UUID)
    /// Money sent to providers' banks (asset leaving).
    case payoutsClearing
    /// Premiums of job cover (revenue of the cover pool).
    case insurancePremiums
    /// Claims paid to customers (expense of the cover pool).
    case insuranceClaims
    /// What a provider still owes of a loan's principal (asset).
    case loansReceivable(UUID)
    /// Interest repaid on loans (revenue).
    case loanInterest

    public var description: String {
        switch self {
        case .processorClearing: "processor_clearing"
        case .escrow(let id): "escrow:\(id.uuidString.lowercased())"
        case .providerPayable(let id): "provider_payable:\(id.uuidString.lowercased())"
        case .platformRevenue: "platform_revenue"
        case .payoutsPending(let id): "payouts_pending:\(id.uuidString.lowercased())"
        case .payoutsClearing: "payouts_clearing"
        case .insurancePremiums: "insurance_premiums"
        case .insuranceClaims: "insurance_claims"
        case .loansReceivable(let id): "loans_receivable:\(id.uuidString.lowercased())"
        case .loanInterest: "loan_interest"
        }
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count > 1 ? UUID(uuidString: parts[1]) : nil) {
        case ("processor_clearing", nil): self = .processorClearing
        case ("platform_revenue", nil): self = .platformRevenue
        case ("payouts_clearing", nil): self = .payoutsClearing
        case ("insurance_premiums", nil): self = .insurancePremiums
        case ("insurance_claims", nil): self = .insuranceClaims
        case ("loan_interest", nil): self = .loanInterest
        case ("loans_receivable", let id?): self = .loansReceivable(id)
        case ("escrow", let id?): self = .escrow(id)
        case ("provider_payable", let id?): self = .providerPayable(id)
        case ("payouts_pending", let id?): self = .payoutsPending(id)
        default: return nil
        }
    }
}

/// One balanced movement: debits (positive) and credits (negative) that sum
/// to zero, never a zero line. Pure: made only through the constructors below.
public struct Posting: Sendable, Equatable {
    public enum Kind: String, Sendable { case hold, release, refund, payout, insurance, loan }

    public let kind: Kind
    public let lines: [Line]

    public struct Line: Sendable, Equatable {
        public let account: LedgerAccount
        public let amount: Int64
    }

    public enum Invalid: Error, Equatable { case unbalanced, emptyLine, tooFewLines }

    public init(kind: Kind, lines: [(LedgerAccount, Int64)]) throws(Invalid) {
        let kept = lines.map { Line(account: $0.0, amount: $0.1) }
        guard kept.count >= 2 else { throw .tooFewLines }
        guard kept.allSatisfy({ $0.amount != 0 }) else { throw .emptyLine }
        guard kept.reduce(0, { $0 + $1.amount }) == 0 else { throw .unbalanced }
        self.kind = kind
        self.lines = kept
    }

    /// The consumer's payment arrived: PayMongo holds it, we owe it to escrow.
    public static func hold(_ amount: Int64, transaction: UUID) -> Posting {
        try! Posting(kind: .hold, lines: [(.processorClearing, amount), (.escrow(transaction), -amount)])
    }

    /// Escrow goes to the provider, minus the platform's fee and the
    /// premium of the job's cover (both within the amount).
    public static func release(_ amount: Int64, fee: Int64, premium: Int64 = 0, transaction: UUID, provider: UUID) -> Posting {
        precondition(fee >= 0 && premium >= 0 && fee + premium <= amount)
        var lines: [(LedgerAccount, Int64)] = [(.escrow(transaction), amount)]
        if amount - fee - premium > 0 { lines.append((.providerPayable(provider), -(amount - fee - premium))) }
        if fee > 0 { lines.append((.platformRevenue, -fee)) }
        if premium > 0 { lines.append((.insurancePremiums, -premium)) }
        return try! Posting(kind: .release, lines: lines)
    }

    /// Escrow goes back to the consumer through PayMongo.
    public static func refund(_ amount: Int64, transaction: UUID) -> Posting {
        try! Posting(kind: .refund, lines: [(.escrow(transaction), amount), (.processorClearing, -amount)])
    }

    /// A provider asks for a payout: the amount is set aside.
    public static func reservePayout(_ amount: Int64, provider: UUID) -> Posting {
        try! Posting(kind: .payout, lines: [(.providerPayable(provider), amount), (.payoutsPending(provider), -amount)])
    }

    /// An admin approved it: the money leaves for the provider's bank.
    public static func sendPayout(_ amount: Int64, provider: UUID) -> Posting {
        try! Posting(kind: .payout, lines: [(.payoutsPending(provider), amount), (.payoutsClearing, -amount)])
    }

    /// An admin turned it down: the amount is the provider's to ask for again.
    public static func returnPayout(_ amount: Int64, provider: UUID) -> Posting {
        try! Posting(kind: .payout, lines: [(.payoutsPending(provider), amount), (.providerPayable(provider), -amount)])
    }

    /// An approved claim is sent to the customer's bank from the cover pool.
    public static func payClaim(_ amount: Int64) -> Posting {
        try! Posting(kind: .insurance, lines: [(.insuranceClaims, amount), (.payoutsClearing, -amount)])
    }

    /// A loan's principal becomes the provider's to withdraw; they owe it back.
    public static func disburseLoan(_ principal: Int64, provider: UUID) -> Posting {
        try! Posting(kind: .loan, lines: [(.loansReceivable(provider), principal), (.providerPayable(provider), -principal)])
    }

    /// A repayment taken from the provider's balance: interest, then principal.
    public static func repayLoan(interest: Int64, principal: Int64, provider: UUID) -> Posting {
        var lines: [(LedgerAccount, Int64)] = [(.providerPayable(provider), interest + principal)]
        if interest > 0 { lines.append((.loanInterest, -interest)) }
        if principal > 0 { lines.append((.loansReceivable(provider), -principal)) }
        return try! Posting(kind: .loan, lines: lines)
    }
}
