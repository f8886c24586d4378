import ServiceKit
import TrustTradeDTO

// How core's domain failures answer a client (the error middleware renders
// them); handlers let them propagate.

extension BookingStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such booking")
        case .unknownProvider: .validation("providerId", "No such provider")
        case .unknownCategory: .validation("categoryId", "No such category")
        case .ownProvider: .validation("providerId", "You cannot book your own provider profile")
        case .overlap: .conflict("The provider already has an accepted booking at that time", code: .bookingOverlap)
        case .notDue: .conflict("Not due yet", code: .illegalBookingState)
        case .move(.unpaid):
            .conflict("The job starts once the customer's payment is in escrow; it is not yet", code: .escrowNotHeld)
        case .move(.notYours(let move, _)): .forbidden(Self.forbiddenMessage(move))
        case .move(.illegal(let move, let state)):
            APIError(.conflict, code: .illegalBookingState,
                     message: move == .complete && state.workDone
                        ? "The work is already reported done; the consumer confirms it"
                        : "A booking that is \(state.status.rawValue.replacingOccurrences(of: "_", with: " ")) cannot be \(Self.pastTense(move))",
                     details: [FieldError(field: "status", message: state.status.rawValue)])
        }
    }

    static func forbiddenMessage(_ move: BookingMove) -> String {
        switch move {
        case .accept, .reject, .start: "Only the provider can \(move.rawValue) a booking"
        case .edit: "Only the consumer can change a booking request"
        default: "You may not \(move.rawValue) this booking"
        }
    }

    static func pastTense(_ move: BookingMove) -> String {
        switch move {
        case .edit: "changed"
        case .accept: "accepted"
        case .reject: "rejected"
        case .start: "started"
        case .complete, .autoComplete: "completed"
        case .cancel: "cancelled"
        case .expire: "expired"
        }
    }
}

extension ChatStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such chat")
        case .unknownProvider: .validation("providerId", "No such provider")
        case .unknownBooking: .validation("bookingId", "No such booking of yours")
        case .ownProvider: .validation("providerId", "You cannot open a chat with your own provider profile")
        case .forbidden(let message): .forbidden(message)
        }
    }
}

extension ReviewStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such review")
        case .bookingNotFound: .notFound("No such booking")
        case .forbidden(let message): .forbidden(message)
        case .conflict(let message): .conflict(message)
        }
    }
}

extension ProviderStore.CreateError: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .alreadyProvider: .conflict("You already have a provider profile; update it instead")
        case .unknownCategory: .validation("categoryId", "No such category")
        }
    }
}

extension ProviderStore.PortfolioError: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .full: .conflict("A portfolio holds at most \(PortfolioFields.maxItems) items; remove one first")
        }
    }
}

extension ProviderSearchStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .unknownCategory: .validation("category", "No such category")
        }
    }
}
