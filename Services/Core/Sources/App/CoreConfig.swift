import Foundation
import ServiceKit

/// Everything the core service reads from its environment.
public struct CoreConfig: Sendable {
    public var common: CommonConfig
    /// The auth service's base URL, for `/internal/users/:id`.
    public var authBaseURL: String
    public var workerConcurrency: Int

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "core-service", defaultPort: 3000, settings: settings)
        authBaseURL = settings.string("AUTH_BASE_URL", default: "http://127.0.0.1:3001")
        workerConcurrency = try settings.int("CORE_WORKER_CONCURRENCY", default: 10)
    }
}
