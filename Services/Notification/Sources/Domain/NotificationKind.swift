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
    case reviewReceived = "review-received"

    /// Mails about the account's safety go out whatever the preferences say.
    public var isSecurity: Bool { self == .verifyEmail || self == .passwordReset }

    /// Channels used when the user has not chosen. Security mails go by
    /// email only (a link in a push is easy to phish); money and bookings
    /// reach the person on every channel.
    public var defaultChannels: Set<Channel> {
        switch self {
        case .verifyEmail, .passwordReset: [.email]
        case .welcome: [.email, .inApp]
        case .bookingCreated, .bookingAccepted, .bookingRejected, .bookingCancelled: [.push, .email, .sms, .inApp]
        case .bookingCompleted, .reviewReceived: [.push, .email, .inApp]
        case .paymentReceived, .escrowReleased, .payoutSent: [.push, .email, .sms, .inApp]
        }
    }
}

public enum Channel: String, Codable, Sendable, CaseIterable {
    case push, email, sms
    case inApp = "in_app"
}

public enum Language: String, Codable, Sendable {
    case en, fil
}

/// Decides the channels a notification goes out on, from the kind's defaults
/// and the user's switches. Pure: no I/O.
public enum ChannelPolicy {
    /// `disabled`: channels the user switched off for this kind.
    public static func channels(for kind: NotificationKind, disabled: Set<Channel>) -> Set<Channel> {
        if kind.isSecurity { return kind.defaultChannels }
        return kind.defaultChannels.subtracting(disabled.subtracting([.inApp]))
    }
}
