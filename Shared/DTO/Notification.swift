import Foundation

/// What a notification is about. The raw value names its templates.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    case welcome
    case verifyEmail = "verify-email"
    case passwordReset = "password-reset"
    case bookingCreated = "booking-created"
    case bookingAccepted = "booking-accepted"
    case bookingRejected = "booking-rejected"
    case bookingCancelled = "booking-cancelled"
    case bookingCompleted = "booking-completed"
    case paymentReceived = "payment-received"
    case escrowReleased = "escrow-released"
    case payoutSent = "payout-sent"
    case loanApproved = "loan-approved"
    case claimPaid = "claim-paid"
    case reviewReceived = "review-received"
}

public enum NotificationChannel: String, Codable, Sendable, CaseIterable {
    case push, email, sms
    case inApp = "in_app"
}

/// A request to notify one user (from another service's event, or an admin).
public struct NotifyUserRequest: Codable, Sendable {
    @LowercaseUUID public var userId: UUID
    public var kind: NotificationKind
    public var variables: [String: String]
    /// Extra fields the app uses to open the right screen (bookingId, ...).
    public var data: [String: String]?
    /// Restricts delivery to these channels (still subject to preferences).
    public var channels: [NotificationChannel]?

    public init(userId: UUID, kind: NotificationKind, variables: [String: String], data: [String: String]? = nil, channels: [NotificationChannel]? = nil) {
        self.userId = userId
        self.kind = kind
        self.variables = variables
        self.data = data
        self.channels = channels
    }
}
