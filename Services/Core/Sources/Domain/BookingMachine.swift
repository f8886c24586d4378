import Foundation
import TrustTradeDTO

/// What someone asks to do to a booking.
public enum BookingMove: String, Sendable, CaseIterable {
    case edit, accept, reject, start, complete, cancel
    /// The system's moves: an unanswered request runs out; a job the provider
    /// finished and nobody disputed completes by itself.
    case expire, autoComplete
}

/// The parts of a booking its moves depend on.
public struct BookingState: Sendable, Equatable {
    public var status: BookingStatus
    public var workDone: Bool
    public var disputed: Bool
    /// The customer's payment is held in escrow.
    public var paid: Bool

    public init(status: BookingStatus, workDone: Bool = false, disputed: Bool = false, paid: Bool = false) {
        self.status = status
        self.workDone = workDone
        self.disputed = disputed
        self.paid = paid
    }
}

/// The effect of a legal move.
public struct BookingTransition: Sendable, Equatable {
    public var to: BookingStatus
    /// The provider reported the work done (the booking stays in progress
    /// until the consumer confirms or the confirmation window passes).
    public var marksWorkDone: Bool = false

    public init(to: BookingStatus, marksWorkDone: Bool = false) {
        self.to = to
        self.marksWorkDone = marksWorkDone
    }
}

public enum BookingMoveError: Error, Sendable, Equatable {
    /// The caller's role never makes this move (403).
    case notYours(BookingMove, BookingRole)
    /// The move is not possible in the current state (409).
    case illegal(BookingMove, BookingState)
    /// Work starts only once the customer's money is in escrow (409): the
    /// pro is sure to be paid, the customer's money is safe until the job is done.
    case unpaid
}

/// The booking state machine: who may make which move from which state.
/// pending → accepted | rejected | cancelled | expired; accepted → in_progress
/// (once paid into escrow) | cancelled; in_progress → completed (consumer confirms, or automatically
/// after the provider reported the work done, unless disputed).
public enum BookingMachine {
    public static func apply(_ move: BookingMove, by role: BookingRole, to state: BookingState) throws(BookingMoveError) -> BookingTransition {
        guard mayMake(move, role) else { throw .notYours(move, role) }
        switch (move, state.status) {
        case (.edit, .pending):
            return BookingTransition(to: .pending)
        case (.accept, .pending):
            return BookingTransition(to: .accepted)
        case (.reject, .pending):
            return BookingTransition(to: .rejected)
        case (.expire, .pending):
            return BookingTransition(to: .expired)
        case (.cancel, .pending), (.cancel, .accepted):
            return BookingTransition(to: .cancelled)
        case (.start, .accepted):
            guard state.paid else { throw .unpaid }
            return BookingTransition(to: .inProgress)
        case (.complete, .inProgress):
            switch role {
            case .provider:
                // Reporting the work done twice is a mistake the caller should see.
                guard !state.workDone else { throw .illegal(move, state) }
                return BookingTransition(to: .inProgress, marksWorkDone: true)
            default:
                // The consumer's confirmation (or an admin's decision) ends the
                // job, whether or not the provider reported it done.
                return BookingTransition(to: .completed)
            }
        case (.autoComplete, .inProgress) where state.workDone && !state.disputed:
            return BookingTransition(to: .completed)
        default:
            throw .illegal(move, state)
        }
    }

    /// Roles that can ever make a move.
    static func mayMake(_ move: BookingMove, _ role: BookingRole) -> Bool {
        switch move {
        case .edit: role == .consumer
        case .accept, .reject, .start: role == .provider
        case .complete: role == .provider || role == .consumer || role == .admin
        case .cancel: role == .consumer || role == .provider || role == .admin
        case .expire, .autoComplete: role == .system
        }
    }
}

/// A validated booking request. On create every required field is present.
public struct BookingFields: Sendable, Equatable {
    public var providerId: UUID?
    public var categoryId: UUID?
    public var title: String?
    public var description: String?
    public var location: String?
    public var scheduledDate: Date?
    /// Length of the job in minutes (quarter hours).
    public var estimatedMinutes: Int?
    public var proposedRate: Int64?

    /// Bookable from 30 minutes ahead to a year ahead.
    public static let earliestLead: TimeInterval = 30 * 60
    public static let latestLead: TimeInterval = 366 * 86_400

    public static func validate(_ r: BookingRequest, creating: Bool, now: Date) throws(ValidationFailure) -> BookingFields {
        var v = Validator()
        var f = BookingFields()
        if creating {
            if let raw = r.providerId {
                f.providerId = UUID(uuidString: raw)
                v.check(f.providerId != nil, "providerId", "Provider id must be a UUID")
            } else {
                v.fail("providerId", "Provider is required")
            }
        } else if r.providerId != nil {
            v.fail("providerId", "A booking's provider cannot change; cancel it and book again")
        }
        if let raw = r.categoryId {
            f.categoryId = UUID(uuidString: raw)
            v.check(f.categoryId != nil, "categoryId", "Category id must be a UUID")
        }
        if let title = r.title?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check((3...255).contains(title.count), "title", "Title must be 3 to 255 characters")
            f.title = title
        } else if creating {
            v.fail("title", "Title is required")
        }
        if let text = r.description {
            v.check(text.count <= 5000, "description", "Description must be at most 5000 characters")
            f.description = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let location = r.location?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check(location.count <= 500, "location", "Location must be at most 500 characters")
            f.location = location.isEmpty ? nil : location
        }
        if let raw = r.scheduledDate {
            if let date = ISO8601.date(from: raw) {
                let lead = date.timeIntervalSince(now)
                v.check(lead >= earliestLead, "scheduledDate", "Schedule the job at least 30 minutes from now")
                v.check(lead <= latestLead, "scheduledDate", "Schedule the job within a year")
                f.scheduledDate = date
            } else {
                v.fail("scheduledDate", "Scheduled date must be an ISO-8601 date and time, e.g. 2026-12-01T09:00:00Z")
            }
        } else if creating {
            v.fail("scheduledDate", "Scheduled date is required")
        }
        if let hours = r.estimatedHours {
            let minutes = hours * 60
            let valid = hours.isFinite && minutes >= 15 && minutes <= 24 * 60 && minutes.truncatingRemainder(dividingBy: 15) == 0
            v.check(valid, "estimatedHours", "Estimated hours must be 0.25 to 24, in quarter hours")
            if valid { f.estimatedMinutes = Int(minutes) }
        } else if creating {
            v.fail("estimatedHours", "Estimated hours are required")
        }
        if let rate = r.proposedRate {
            v.check((0...ProviderFields.maxHourlyRate).contains(rate), "proposedRate", "Proposed rate is in centavos, from 0 to \(ProviderFields.maxHourlyRate)")
            f.proposedRate = rate
        }
        try v.validate()
        return f
    }
}

/// Money arithmetic of a booking, in integer centavos.
public enum BookingPrice {
    /// `rate × minutes / 60`, rounded half up to a centavo.
    public static func estimatedTotal(hourlyRate: Int64, minutes: Int) -> Int64 {
        let (product, overflow) = hourlyRate.multipliedReportingOverflow(by: Int64(minutes))
        precondition(!overflow, "rate and minutes are validated far below overflow")
        return (product + 30) / 60
    }
}
