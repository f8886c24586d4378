import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceLifecycle

/// Closes the Redis pool when the service shuts down gracefully.
public struct RedisService: Service {
    let client: RedisClient
    public init(_ client: RedisClient) { self.client = client }

    public func run() async throws {
        try? await gracefulShutdown()
        await client.close()
    }
}

/// Runs `work` every `interval` until shutdown (key rotation, cleanups).
public struct PeriodicTask: Service {
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async -> Void

    public init(every interval: Duration, logger: Logger, _ work: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await work()
        }
    }
}

/// The session id of a token lives in Redis as `session:{sid}` while the
/// session is alive (seed 4.2 "session"); logout deletes it.
public enum SessionKeys {
    public static func key(_ sessionId: String) -> String { "session:\(sessionId.lowercased())" }
}

/// A session (or every session of a person) that just ended, announced on
/// Redis pub/sub so what outlives a request (core's chat sockets) ends at
/// once on every instance. Pub/sub can be missed (a reconnect): listeners
/// still re-check `session:{sid}` now and then.
public struct SessionRevocation: Codable, Sendable, Equatable {
    public static let channel = "auth:revoked"

    public var userId: String
    /// Nil: every session of `userId` (password reset).
    public var sessionId: String?

    public init(userId: UUID, sessionId: UUID?) {
        self.userId = userId.uuidString.lowercased()
        self.sessionId = sessionId?.uuidString.lowercased()
    }

    public var payload: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }

    public init?(payload: String) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(payload.utf8)) else { return nil }
        self = decoded
    }

    /// Whether a socket of this session of this person must close.
    public func ends(userId: UUID, sessionId: String) -> Bool {
        userId.uuidString.lowercased() == self.userId && (self.sessionId == nil || self.sessionId == sessionId.lowercased())
    }
}

/// The session check every service runs on each authenticated request.
public struct RedisSessionChecker: SessionChecker {
    let redis: RedisClient
    public init(redis: RedisClient) { self.redis = redis }

    public func isActive(sessionId: String) async throws -> Bool {
        try await redis.exists(SessionKeys.key(sessionId)) == 1
    }
}

extension ReadinessCheck {
    public static func postgres(_ client: PostgresClient, logger: Logger) -> ReadinessCheck {
        ReadinessCheck("postgres") { _ = try await client.query("SELECT 1", logger: logger) }
    }

    public static func redis(_ client: RedisClient) -> ReadinessCheck {
        ReadinessCheck("redis") { _ = try await client.ping() }
    }
}

extension CommonConfig {
    /// A queue worker's options: `concurrency` jobs at once, the lock and
    /// stalled-check timings of `QUEUE_LOCK_DURATION_MS` / `QUEUE_STALLED_INTERVAL_MS`.
    public func workerOptions(concurrency: Int = 1) -> QueueWorker.Options {
        QueueWorker.Options(concurrency: concurrency, lockDurationMs: queueLockDurationMs, stalledIntervalMs: queueStalledIntervalMs)
    }
}
