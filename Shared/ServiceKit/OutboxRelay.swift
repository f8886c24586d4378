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

    public init(
        schema: String, postgres: PostgresClient, logger: Logger, interval: Duration = .milliseconds(200),
        batchSize: Int = 100, gate: StartGate? = nil, queues: @escaping @Sendable (String) -> JobQueue
    ) {
        self.schema = schema
        self.postgres = postgres
        self.queues = queues
        self.logger = logger
        self.interval = interval
        self.batchSize = batchSize
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
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
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
