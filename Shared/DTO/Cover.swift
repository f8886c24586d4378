import Foundation

/// `GET /v1/insurance/quote?bookingId=&plan=`: what a plan costs and covers.
public struct InsuranceQuoteDTO: Codable, Sendable, Equatable {
    public var plan: String
    @LowercaseUUID public var bookingId: UUID
    public var bookingAmount: Int64
    public var premium: Int64
    public var coverage: Int64
    public var currency: String
    public var validFrom: String
    public var validUntil: String

    public init(plan: String, bookingId: UUID, bookingAmount: Int64, premium: Int64, coverage: Int64, validFrom: String, validUntil: String) {
        self.plan = plan
        self.bookingId = bookingId
        self.bookingAmount = bookingAmount
        self.premium = premium
        self.coverage = coverage
        self.currency = "PHP"
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// `POST /v1/insurance/policies` (the booking's provider).
public struct BuyInsuranceRequest: Codable, Sendable {
    public var bookingId: String?
    /// basic (default) or plus.
    public var plan: String?
    public init(bookingId: String? = nil, plan: String? = nil) {
        self.bookingId = bookingId
        self.plan = plan
    }
}

/// Job cover for one booking.
public struct InsurancePolicyDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var policyNumber: String
    @LowercaseUUID public var transactionId: UUID
    @LowercaseUUID public var bookingId: UUID
    @LowercaseUUID public var providerUserId: UUID
    @LowercaseUUID public var consumerId: UUID
    public var plan: String
    public var coverage: Int64
    public var premium: Int64
    /// Taken from the booking's release so far.
    public var premiumCharged: Int64
    /// Paid out on claims so far.
    public var claimedAmount: Int64
    public var currency: String
    /// active, expired (past its claim window) or void (called off, never charged).
    public var status: String
    public var validFrom: String
    public var validUntil: String
    public var createdAt: String

    public init(id: UUID, policyNumber: String, transactionId: UUID, bookingId: UUID, providerUserId: UUID, consumerId: UUID, plan: String,
                coverage: Int64, premium: Int64, premiumCharged: Int64, claimedAmount: Int64, status: String, validFrom: String,
                validUntil: String, createdAt: String) {
        self.id = id
        self.policyNumber = policyNumber
        self.transactionId = transactionId
        self.bookingId = bookingId
        self.providerUserId = providerUserId
        self.consumerId = consumerId
        self.plan = plan
        self.coverage = coverage
        self.premium = premium
        self.premiumCharged = premiumCharged
        self.claimedAmount = claimedAmount
        self.currency = "PHP"
        self.status = status
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.createdAt = createdAt
    }
}

/// `POST /v1/insurance/policies/:id/claims` (the booking's customer): what
/// was damaged, how much, and the account to send it to.
public struct FileClaimRequest: Codable, Sendable {
    public var amount: Int64?
    public var description: String?
    /// instapay (default), pesonet or gcash.
    public var method: String?
    public var accountName: String?
    public var accountNumber: String?
    public var bank: String?
    public init(amount: Int64? = nil, description: String? = nil, method: String? = nil, accountName: String? = nil,
                accountNumber: String? = nil, bank: String? = nil) {
        self.amount = amount
        self.description = description
        self.method = method
        self.accountName = accountName
        self.accountNumber = accountNumber
        self.bank = bank
    }
}

public struct InsuranceClaimDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var policyId: UUID
    @LowercaseUUID public var claimantId: UUID
    public var amount: Int64
    public var currency: String
    public var description: String
    /// Bank and last digits only.
    public var destination: String
    /// open, paid, rejected.
    public var status: String
    public var paidAmount: Int64?
    public var note: String?
    public var createdAt: String
    public var decidedAt: String?

    public init(id: UUID, policyId: UUID, claimantId: UUID, amount: Int64, description: String, destination: String, status: String,
                paidAmount: Int64?, note: String?, createdAt: String, decidedAt: String?) {
        self.id = id
        self.policyId = policyId
        self.claimantId = claimantId
        self.amount = amount
        self.currency = "PHP"
        self.description = description
        self.destination = destination
        self.status = status
        self.paidAmount = paidAmount
        self.note = note
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}

/// `POST /v1/insurance/claims/:id/approve` (an admin): `amount` (absent:
/// what was claimed) may be less than claimed.
public struct ClaimDecisionRequest: Codable, Sendable {
    public var amount: Int64?
    public var note: String?
    public init(amount: Int64? = nil, note: String? = nil) {
        self.amount = amount
        self.note = note
    }
}

/// `GET /v1/loans/offer[?amount=&termMonths=]` (a provider): whether they
/// may borrow, up to how much, at what rate; with a schedule when asked.
public struct LoanOfferDTO: Codable, Sendable, Equatable {
    public var eligible: Bool
    public var reasons: [String]
    public var limit: Int64
    public var currency: String
    /// Flat interest per month, basis points of the principal (150 = 1.5 %).
    public var monthlyRateBps: Int64
    public var maxTermMonths: Int
    public var trustScore: Int
    public var schedule: [LoanInstallmentDTO]?

    public init(eligible: Bool, reasons: [String], limit: Int64, monthlyRateBps: Int64, maxTermMonths: Int, trustScore: Int, schedule: [LoanInstallmentDTO]?) {
        self.eligible = eligible
        self.reasons = reasons
        self.limit = limit
        self.currency = "PHP"
        self.monthlyRateBps = monthlyRateBps
        self.maxTermMonths = maxTermMonths
        self.trustScore = trustScore
        self.schedule = schedule
    }
}

public struct LoanInstallmentDTO: Codable, Sendable, Equatable {
    public var number: Int
    public var dueDate: String
    public var principal: Int64
    public var interest: Int64
    public var paid: Int64
    /// upcoming, due (its date passed, not all paid), paid.
    public var status: String

    public init(number: Int, dueDate: String, principal: Int64, interest: Int64, paid: Int64, status: String) {
        self.number = number
        self.dueDate = dueDate
        self.principal = principal
        self.interest = interest
        self.paid = paid
        self.status = status
    }
}

/// `POST /v1/loans` (a provider).
public struct LoanApplicationRequest: Codable, Sendable {
    public var amount: Int64?
    public var termMonths: Int?
    public var purpose: String?
    public init(amount: Int64? = nil, termMonths: Int? = nil, purpose: String? = nil) {
        self.amount = amount
        self.termMonths = termMonths
        self.purpose = purpose
    }
}

public struct LoanDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var providerUserId: UUID
    public var amount: Int64
    public var currency: String
    public var monthlyRateBps: Int64
    public var termMonths: Int
    public var purpose: String
    public var trustScore: Int
    /// pending, rejected, active, repaid.
    public var status: String
    public var totalInterest: Int64
    public var repaid: Int64
    /// Principal and interest still to repay.
    public var outstanding: Int64
    public var note: String?
    public var approvedAt: String?
    public var dueDate: String?
    public var repaidAt: String?
    public var createdAt: String
    public var installments: [LoanInstallmentDTO]

    public init(id: UUID, providerUserId: UUID, amount: Int64, monthlyRateBps: Int64, termMonths: Int, purpose: String, trustScore: Int,
                status: String, totalInterest: Int64, repaid: Int64, outstanding: Int64, note: String?, approvedAt: String?, dueDate: String?,
                repaidAt: String?, createdAt: String, installments: [LoanInstallmentDTO]) {
        self.id = id
        self.providerUserId = providerUserId
        self.amount = amount
        self.currency = "PHP"
        self.monthlyRateBps = monthlyRateBps
        self.termMonths = termMonths
        self.purpose = purpose
        self.trustScore = trustScore
        self.status = status
        self.totalInterest = totalInterest
        self.repaid = repaid
        self.outstanding = outstanding
        self.note = note
        self.approvedAt = approvedAt
        self.dueDate = dueDate
        self.repaidAt = repaidAt
        self.createdAt = createdAt
        self.installments = installments
    }
}

/// Job data on the `payment` queue: collect what is due on this loan.
public struct LoanInstallmentDue: Codable, Sendable {
    @LowercaseUUID public var loanId: UUID
    public init(loanId: UUID) { self.loanId = loanId }
}

extension EventType {
    public static let loanInstallmentDue = "loan.installment-due"
}

extension ErrorCode {
    /// The provider does not meet the loan rules yet (422; the reasons in `details`).
    public static let loanNotEligible: ErrorCode = "LOAN_NOT_ELIGIBLE"
}
