import Foundation
import ServiceKit

/// Everything the AI service reads from its environment.
public struct AIConfig: Sendable {
    public var common: CommonConfig
    public var workerConcurrency: Int
    /// How often the matching index reads what changed in the read model.
    public var matchingRefresh: Duration

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "ai-service", defaultPort: 5000, settings: settings)
        workerConcurrency = try settings.int("AI_WORKER_CONCURRENCY", default: 10)
        matchingRefresh = .milliseconds(try settings.int("AI_MATCHING_REFRESH_MS", default: 2_000))
    }
}
