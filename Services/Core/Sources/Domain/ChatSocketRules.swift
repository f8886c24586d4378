import Foundation
import TrustTradeDTO

/// A token bucket: `burst` frames at once, refilled at `ratePerSecond`.
/// One per chat socket, so one client cannot keep an instance busy. Pure:
/// the caller says what time it is.
public struct FrameBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    private(set) var tokens: Double
    private(set) var refilledAt: ContinuousClock.Instant

    public init(ratePerSecond: Int, burst: Int, now: ContinuousClock.Instant) {
        self.ratePerSecond = Double(max(ratePerSecond, 1))
        self.burst = Double(max(burst, 1))
        self.tokens = self.burst
        self.refilledAt = now
    }

    /// Takes one token for a frame arriving `now`; false when the bucket is
    /// empty (the frame is over the rate).
    public mutating func take(at now: ContinuousClock.Instant) -> Bool {
        if now > refilledAt {
            let elapsed = now - refilledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + seconds * ratePerSecond)
            refilledAt = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// What a chat socket ticket stands for: a browser cannot set
/// `Authorization` on a WebSocket, so a signed-in request buys a ticket
/// (`POST /v1/chats/ticket`) and the socket presents it once
/// (`GET /v1/chats/live?ticket=`). The ticket itself is only kept hashed.
public struct ChatTicketGrant: Codable, Sendable, Equatable {
    /// Long enough to open a socket right after asking, short enough that a
    /// ticket in a log or a browser history is worthless.
    public static let lifetime: TimeInterval = 30

    @LowercaseUUID public var userId: UUID
    public var email: String
    public var userType: UserType
    public var sessionId: String
    public var expiresAt: Date
    /// The access token's own end: the socket closes then, as it would have
    /// had the token opened it.
    public var tokenExpiresAt: Date

    public init(identity: Identity, tokenExpiresAt: Date, now: Date) {
        self.userId = identity.userId
        self.email = identity.email
        self.userType = identity.userType
        self.sessionId = identity.sessionId
        self.expiresAt = min(now.addingTimeInterval(Self.lifetime), tokenExpiresAt)
        self.tokenExpiresAt = tokenExpiresAt
    }

    public var identity: Identity {
        Identity(userId: userId, email: email, userType: userType, sessionId: sessionId)
    }

    /// Redis expires the ticket on time; this also refuses one taken at the
    /// edge of its life (or kept by a Redis whose clock runs late).
    public func admits(at now: Date) -> Bool {
        now < expiresAt && now < tokenExpiresAt
    }
}

/// Why the server closes a chat socket, and with which close code.
public enum ChatSocketClosure: Sendable, Equatable {
    /// Logged out, revoked, password reset or the access token expired: the
    /// app signs in (or refreshes) and opens a new socket.
    case sessionEnded
    /// More frames than the bucket allows: 1008 policy violation, no error
    /// frame first (a flooding client would not read it anyway).
    case tooManyFrames

    public var code: Int {
        switch self {
        case .sessionEnded: 4401
        case .tooManyFrames: 1008
        }
    }

    public var reason: String {
        switch self {
        case .sessionEnded: "Session has ended; sign in again"
        case .tooManyFrames: "Too many frames; slow down"
        }
    }
}

/// When a live socket looks at its session again. Revocations arrive on
/// pub/sub within a second; this is the net under it (a missed message
/// during a Redis reconnect): the token's expiry, and a session check every
/// `checkInterval`. Pure.
public struct ChatSessionWatch: Sendable, Equatable {
    public enum Wake: Sendable, Equatable {
        case checkSession(at: Date)
        case tokenExpires(at: Date)
    }

    public var tokenExpiresAt: Date
    public var checkInterval: TimeInterval

    public init(tokenExpiresAt: Date, checkInterval: TimeInterval) {
        self.tokenExpiresAt = tokenExpiresAt
        self.checkInterval = checkInterval
    }

    public func next(after now: Date) -> Wake {
        let check = now.addingTimeInterval(max(checkInterval, 1))
        return check < tokenExpiresAt ? .checkSession(at: check) : .tokenExpires(at: tokenExpiresAt)
    }
}
