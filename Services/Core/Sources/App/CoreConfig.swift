import Foundation
import ServiceKit

/// Everything the core service reads from its environment.
public struct CoreConfig: Sendable {
    public var common: CommonConfig
    /// The auth service's base URL, for `/internal/users/:id`.
    public var authBaseURL: String
    /// The file service, for `/internal/files` (avatars, portfolio photos, chat attachments).
    public var fileBaseURL: String
    public var workerConcurrency: Int
    /// How long a provider has to answer a booking request before it expires.
    public var bookingPendingLifetime: Duration
    /// How long a consumer has to confirm (or dispute) work reported done
    /// before the booking completes by itself.
    public var bookingConfirmationWindow: Duration
    /// The web app's address, for links in notifications.
    public var appBaseURL: String
    /// Redis caches of providers and searches (seed 4.2); off for benchmarks.
    public var searchCache: Bool
    /// What one chat socket may send and how often its session is re-checked.
    public var chatSocket: ChatSocketLimits

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "core-service", defaultPort: 3000, settings: settings)
        authBaseURL = settings.string("AUTH_BASE_URL", default: "http://127.0.0.1:3001")
        fileBaseURL = settings.string("FILE_BASE_URL", default: "http://127.0.0.1:3004")
        workerConcurrency = try settings.int("CORE_WORKER_CONCURRENCY", default: 10)
        bookingPendingLifetime = .seconds(try settings.int("CORE_BOOKING_PENDING_TTL_SECONDS", default: 86_400))
        bookingConfirmationWindow = .seconds(try settings.int("CORE_BOOKING_CONFIRM_WINDOW_SECONDS", default: 172_800))
        appBaseURL = settings.string("APP_BASE_URL", default: "http://localhost:3000")
        searchCache = try settings.bool("CORE_PROVIDER_CACHE", default: true)
        chatSocket = ChatSocketLimits(
            framesPerSecond: try settings.positiveInt("CHAT_FRAMES_PER_SECOND", default: 20),
            frameBurst: try settings.positiveInt("CHAT_FRAME_BURST", default: 40),
            maxFrameBytes: try settings.positiveInt("CHAT_MAX_FRAME_BYTES", default: 64 * 1024),
            sessionCheckInterval: TimeInterval(try settings.positiveInt("CHAT_SESSION_CHECK_SECONDS", default: 30)))
    }
}

/// The live chat socket's limits (`CHAT_*`).
public struct ChatSocketLimits: Sendable {
    /// Frames a socket may send per second, on average…
    public var framesPerSecond: Int
    /// …and at once; past that the socket is closed with 1008.
    public var frameBurst: Int
    /// The largest frame, and the largest message (a message of several
    /// frames counts whole); past that the socket is closed with 1009.
    public var maxFrameBytes: Int
    /// How often a socket checks its session is still alive, under the
    /// revocations that arrive on pub/sub (which a Redis reconnect can miss).
    public var sessionCheckInterval: TimeInterval

    public init(framesPerSecond: Int = 20, frameBurst: Int = 40, maxFrameBytes: Int = 64 * 1024, sessionCheckInterval: TimeInterval = 30) {
        self.framesPerSecond = framesPerSecond
        self.frameBurst = frameBurst
        self.maxFrameBytes = maxFrameBytes
        self.sessionCheckInterval = sessionCheckInterval
    }
}

extension Settings {
    /// A whole number above zero (a limit of 0 would close every socket).
    func positiveInt(_ key: String, default fallback: Int) throws -> Int {
        let value = try int(key, default: fallback)
        guard value > 0 else { throw ConfigurationError(key: key, message: "must be above zero, got \(value)") }
        return value
    }
}
