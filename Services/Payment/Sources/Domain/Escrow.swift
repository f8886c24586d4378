import Foundation

/// Where a transaction's escrow is (seed 4.1 `escrow_status`, plus
/// `cancelled` for a booking called off before anyone paid).
public enum EscrowStatus: String, Codable, Sendable, CaseIterable {
    case pending, held, released, refunded, cancelled
}

/// The parts of an escrow its moves depend on.
public struct EscrowState: Sendable, Equatable {
    public var status: EscrowStatus
    public var amount: Int64
    public var refunded: Int64
    public var disputed: Bool

    public init(status: EscrowStatus, amount: Int64, refunded: Int64 = 0, disputed: Bool = false) {
        self.status = status
        self.amount = amount
        self.refunded = refunded
        self.disputed = disputed
    }

    public var remaining: Int64 { amount - refunded }
}

public enum EscrowMove: Sendable, Equatable {
    /// The payment succeeded.
    case hold
    /// What remains goes to the provider (booking completed, or an admin).
    case release
    /// `amount` (nil: all that remains) goes back to the consumer.
    case refund(Int64?)
    /// Called off before any money came.
    case cancel
}

public enum EscrowError: Error, Sendable, Equatable {
    /// Not possible from the current state (409).
    case illegal(EscrowMove, EscrowStatus)
    /// An open dispute freezes release (409).
    case disputed
    /// A refund of nothing, or of more than remains (400).
    case badRefund(remaining: Int64)
}

/// What a legal move does: the new state, and the money that moves.
public struct EscrowEffect: Sendable, Equatable {
    public var status: EscrowStatus
    /// Refunded by this move.
    public var refund: Int64 = 0
    /// Released by this move.
    public var release: Int64 = 0

    public init(status: EscrowStatus, refund: Int64 = 0, release: Int64 = 0) {
        self.status = status
        self.refund = refund
        self.release = release
    }
}

/// The escrow state machine: pending → held | cancelled; held → released |
/// refunded (partly refunded escrow stays held until the rest is released or
/// refunded). Each move happens once: a second release is illegal. Pure.
public enum EscrowMachine {
    public static func apply(_ move: EscrowMove, to s: EscrowState) throws(EscrowError) -> EscrowEffect {
        switch (move, s.status) {
        case (.hold, .pending):
            return EscrowEffect(status: .held)
        case (.cancel, .pending):
            return EscrowEffect(status: .cancelled)
        case (.release, .held):
            guard !s.disputed else { throw .disputed }
            return EscrowEffect(status: .released, release: s.remaining)
        case (.refund(let amount), .held):
            let refund = amount ?? s.remaining
            guard refund > 0, refund <= s.remaining else { throw .badRefund(remaining: s.remaining) }
            return EscrowEffect(status: refund == s.remaining ? .refunded : .held, refund: refund)
        default:
            throw .illegal(move, s.status)
        }
    }
}
