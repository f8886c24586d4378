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

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "core-service", defaultPort: 3000, settings: settings)
        authBaseURL = settings.string("AUTH_BASE_URL", default: "http://127.0.0.1:3001")
        fileBaseURL = settings.string("FILE_BASE_URL", default: "http://127.0.0.1:3004")
        workerConcurrency = try settings.int("CORE_WORKER_CONCURRENCY", default: 10)
        bookingPendingLifetime = .seconds(try settings.int("CORE_BOOKING_PENDING_TTL_SECONDS", default: 86_400))
        bookingConfirmationWindow = .seconds(try settings.int("CORE_BOOKING_CONFIRM_WINDOW_SECONDS", default: 172_800))
        appBaseURL = settings.string("APP_BASE_URL", default: "http://localhost:3000")
        searchCache = try settings.bool("CORE_PROVIDER_CACHE", default: true)
    }
}
