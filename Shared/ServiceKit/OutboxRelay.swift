import Foundation
import Logging
import PostgresNIO
import Queue
import ServiceLifecycle
import TrustTradeDTO

/// Moves events from a service's `outbox` table to their queues. At least
/// once: an event is marked published only after the queue took it, and the
/// event id is the job id, so publishing it again after a crash adds nothing.
/// Several instances can relay at once (`FOR UPDATE SKIP LOCKED`).
public struct OutboxRelay: Service {
    let schema: String
    let postgres: PostgresClient
    let queues: @Sendable (String) -> JobQueue
    let logger: Logger
    let interval: Duration
    let batchSize: Int
    let gate: StartGate?
    /// Published rows are kept this long (to trace what left and when),
    /// then deleted: the table holds what is in flight, not all history.
    let retention: Duration
    static let purgeEvery: Duration = .seconds(60)

    public init(
        schema: String, postgres: PostgresClient, logger: Logger, interval: Duration = .milliseconds(200),
        batchSize: Int = 100, retention: Duration = .seconds(7 * 86_400), gate: StartGate? = nil,
        queues: @escaping @Sendable (String) -> JobQueue
    ) {
        self.schema = schema
        self.postgres = postgres
        self.queues = queues
        self.logger = logger
        self.interval = interval
        self.batchSize = batchSize
        self.retention = retention
        self.gate = gate
    }

    /// Job options for events: retried with backoff for about an hour, kept
    /// a day after success, kept in `failed` (the dead-letter queue) after that.
    public static let eventJobOptions = JobOptions(
        attempts: 12, backoff: .exponential(delayMs: 1000),
        removeOnComplete: .ageAndCount(seconds: 86_400, count: 10_000), removeOnFail: .all
    )

    public func run() async throws {
        await gate?.wait()
        var nextPurge = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if ContinuousClock.now >= nextPurge {
                nextPurge = ContinuousClock.now + Self.purgeEvery
                do { try await purgePublished() } catch {
                    logger.warning("outbox purge failed; will retry", metadata: ["schema": .string(schema), "error": .string("\(error)")])
                }
            }
            var relayed = 0
            do {
                relayed = try await relayBatch()
            } catch {
                logger.warning("outbox relay failed; will retry", metadata: ["schema": .string(schema), "error": .string("\(error)")])
            }
            if relayed < batchSize {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch { return }
            }
        }
    }

    /// Publishes one batch; returns how many events went out.
    @discardableResult
    public func relayBatch() async throws -> Int {
        try await postgres.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, queue, event_type, payload::text,
                    GREATEST(0, delay_ms - (extract(epoch FROM clock_timestamp() - created_at) * 1000)::bigint)::bigint
                FROM \(unescaped: schema).outbox
                WHERE published_at IS NULL ORDER BY created_at LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            )
            var events: [(UUID, String, String, String, Int64)] = []
            for try await row in rows.decode((UUID, String, String, String, Int64).self) { events.append(row) }
            for (id, queue, type, payload, delayMs) in events {
                var options = Self.eventJobOptions
                options.jobId = id.uuidString.lowercased()
                // What is left of the delay the change asked for.
                options.delayMs = Int(delayMs)
                _ = try await queues(queue).add(type, json: payload, options: options)
                try await connection.query("UPDATE \(unescaped: schema).outbox SET published_at = now() WHERE id = \(id)", logger: logger)
            }
            return events.count
        }
    }
}

extension OutboxRelay {
    /// Deletes rows published longer ago than the retention, a bounded
    /// batch at a time so no delete holds many locks. Returns how many.
    @discardableResult
    public func purgePublished() async throws -> Int {
        let seconds = Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
        var total = 0
        while true {
            let rows = try await postgres.query(
                """
                WITH old AS (
                    SELECT id FROM \(unescaped: schema).outbox
                    WHERE published_at < now() - make_interval(secs => \(seconds))
                    ORDER BY published_at LIMIT 1000
                )
                DELETE FROM \(unescaped: schema).outbox WHERE id IN (SELECT id FROM old) RETURNING 1
                """, logger: logger)
            var deleted = 0
            for try await _ in rows { deleted += 1 }
            total += deleted
            if deleted < 1000 || Task.isShuttingDownGracefully { return total }
        }
    }
}

/// The outbox table, the same in every service's schema, made by the
/// `Migrator` before the service's own files (`IF NOT EXISTS`: schemas whose
/// early migrations made it keep theirs).
public enum OutboxTable {
    public static func statements(schema: String) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS \(schema).outbox (
                id UUID PRIMARY KEY,
                queue VARCHAR(40) NOT NULL,
                event_type VARCHAR(80) NOT NULL,
                payload JSONB NOT NULL,
                request_id VARCHAR(128),
                delay_ms BIGINT NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                published_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON \(schema).outbox (created_at) WHERE published_at IS NULL",
            "CREATE INDEX IF NOT EXISTS outbox_published_idx ON \(schema).outbox (published_at) WHERE published_at IS NOT NULL",
        ]
    }
}

/// Lets background services wait until start-up work (migrations) is done.
public actor StartGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters.removeAll()
    }

    public func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}

/// Runs a service only once its gate opens.
public struct GatedService: Service {
    let gate: StartGate
    let service: any Service

    public init(gate: StartGate, _ service: any Service) {
        self.gate = gate
        self.service = service
    }

    public func run() async throws {
        await gate.wait()
        try await service.run()
    }
}

extension Job {
    /// The job's data as an event envelope; data that is not one can never
    /// succeed, so it fails the job for good instead of being retried.
    public func event<P: Codable & Sendable>(_: P.Type) throws -> EventEnvelope<P> {
        do {
            return try APIJSON.decoder().decode(EventEnvelope<P>.self, from: Data(data.utf8))
        } catch {
            throw UnrecoverableError("job data is not a \(name) event: \(error)")
        }
    }
}
