import TrustTradeDTO

/// The delivery rules of each kind (the kinds themselves are in the DTO module).
extension NotificationKind {
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
        case .paymentReceived, .escrowReleased, .payoutSent, .loanApproved, .claimPaid: [.push, .email, .sms, .inApp]
        }
    }
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

/// The channels, by their short name inside this service.
public typealias Channel = NotificationChannel
