import ServiceKit
import TrustTradeDTO

// How payment's domain failures answer a client (the error middleware
// renders them); handlers let them propagate.

extension EscrowStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such transaction")
        // Only a booking's total is checked (when its escrow opens): such a
        // booking never gets an escrow, so it cannot be paid or covered.
        case .badAmount:
            .validation("bookingId", "This booking's amount is outside what escrow takes (\(Peso.format(PaymentLimits.minimumCentavos)) to \(Peso.format(PaymentLimits.maximumCentavos)))")
        case .move(.disputed): .conflict("An open dispute holds this escrow", code: .escrowDisputed)
        case .move(.badRefund(let remaining)): .validation("amount", "A refund is 1 to \(remaining) centavos (what remains in escrow)")
        case .move(.illegal(_, let status)):
            APIError(.conflict, code: .illegalEscrowState, message: "The escrow is \(status.rawValue); that move is not possible",
                     details: [FieldError(field: "escrowStatus", message: status.rawValue)])
        }
    }
}

extension Payments.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .noEscrow, .notYours: .notFound("No accepted booking of yours to pay")
        case .notPayable(let status): APIError(.conflict, code: .illegalEscrowState, message: "This booking's escrow is \(status)")
        case .provider(let detail): APIError(.badGateway, code: .badGateway, message: "PayMongo could not start the payment: \(detail)")
        }
    }
}

extension PayoutStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .keyReused:
            APIError(.unprocessableContent, code: .unprocessable,
                     message: "This Idempotency-Key was used for a payout of another amount or account; use a new key")
        case .insufficient(let available):
            APIError(.conflict, code: "INSUFFICIENT_BALANCE", message: "You can ask for up to \(Peso.format(available)) (\(available) centavos)",
                     details: [FieldError(field: "amount", message: "at most \(available)")])
        case .notFound: .notFound("No such payout")
        case .decided(let status): .conflict("This payout is already \(status)")
        }
    }
}

extension LoanStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such loan")
        case .notEligible(let reasons):
            APIError(.unprocessableContent, code: .loanNotEligible, message: "You cannot borrow yet: " + reasons.joined(separator: "; "),
                     details: reasons.map { FieldError(field: "eligibility", message: $0) })
        case .overLimit(let limit): .validation("amount", "You can borrow up to \(Peso.format(limit)) (\(limit) centavos)")
        case .alreadyOpen: .conflict("You already have a loan open")
        case .decided(let status): .conflict("This loan is already \(status)")
        }
    }
}

extension InsuranceStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such policy or claim")
        case .notClaimant: .forbidden("Claims are filed by the customer the job was for")
        case .notInsurable(let status): APIError(.conflict, code: .illegalEscrowState, message: "This booking's escrow is \(status); cover can no longer start")
        case .alreadyCovered: .conflict("This booking is already covered")
        case .premiumOverShare(let premium): .validation("plan", "The premium (\(Peso.format(premium))) is more than you receive for this job")
        case .claim(.notInForce): .conflict("This policy is not in force (void, or past its claim window)")
        case .claim(.overCover(let left)): .validation("amount", "At most \(Peso.format(left)) (\(left) centavos) can be paid on this claim")
        case .claimOpen: .conflict("A claim on this policy is already open")
        case .decided(let status): .conflict("This claim is already \(status)")
        }
    }
}

extension DisputeStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such escrow or dispute of yours")
        case .notHeld(let status):
            APIError(.conflict, code: .illegalEscrowState, message: "Only held escrow can be disputed or settled by a dispute; this one is \(status)")
        case .alreadyOpen: .conflict("A dispute is already open for this escrow")
        case .resolved: .conflict("This dispute is already resolved")
        case .badRefund(let remaining): .validation("refundAmount", "A refund is 1 to \(remaining) centavos (what remains in escrow)")
        }
    }
}

extension WebhookSignature.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .stale: .unauthorized("The webhook's timestamp is too old")
        case .malformed, .mismatch: .unauthorized("The webhook's signature does not match")
        }
    }
}
