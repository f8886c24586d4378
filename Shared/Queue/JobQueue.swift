import Foundation
import Logging
import Redis
import Synchronization

/// The producer / admin side of a queue: add jobs, pause, inspect, retry failed jobs.
///
/// Data layout and semantics are BullMQ v5's (`bull:<queue>:wait`, `:active`, ...), so
/// Node or Python BullMQ workers and queues can share the queue with ours.
public final class JobQueue: Sendable {
    public let name: String
    public let redis: RedisClient
    let keys: QueueKeys
    let runner: ScriptRunner
    let scripts = QueueScripts.shared

    public init(name: String, redis: RedisClient, prefix: String = "bull") {
        self.name = name
        self.redis = redis
        keys = QueueKeys(queue: name, prefix: prefix)
        runner = ScriptRunner(redis: redis, keys: keys)
    }

    // MARK: adding

    /// Adds a job whose data is `data` encoded as JSON. Returns its id; when
    /// `options.jobId` names an existing job nothing is added and that id is returned.
    @discardableResult
    public func add(_ name: String, data: some Encodable & Sendable, options: JobOptions = .init()) async throws -> String {
        let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        return try await add(name, json: json, options: options)
    }

    /// Adds a job whose data is the JSON text `json` (checked: workers in other
    /// languages cannot take a job whose data does not parse).
    @discardableResult
    public func add(_ name: String, json: String, options: JobOptions = .init()) async throws -> String {
        try Self.validate(json)
        let reply = try await runner.run(scripts.add, Self.addArgs(name, json, options))
        guard let id = reply.string else { throw QueueError.unexpectedReply("add: \(reply)") }
        return id
    }

    /// Adds many jobs in one pipeline. Ids in the order given.
    @discardableResult
    public func addBulk(_ jobs: [(name: String, json: String, options: JobOptions)]) async throws -> [String] {
        var ids: [String] = []
        ids.reserveCapacity(jobs.count)
        for job in jobs { try Self.validate(job.json) }
        var start = 0
        while start < jobs.count {
            let chunk = jobs[start..<min(start + 1000, jobs.count)]
            let replies = try await runner.runBatch(scripts.add, chunk.map { Self.addArgs($0.name, $0.json, $0.options) })
            for r in replies {
                if let e = r.errorValue { throw e }
                guard let id = r.string else { throw QueueError.unexpectedReply("add: \(r)") }
                ids.append(id)
            }
            start += chunk.count
        }
        return ids
    }

    static func validate(_ json: String) throws {
        guard (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)) != nil else {
            throw QueueError.invalidJSON(String(json.prefix(200)))
        }
    }

    static func addArgs(_ name: String, _ json: String, _ o: JobOptions) -> [RedisArgument] {
        [.string(o.jobId ?? ""), .string(name), .string(json), .string(o.json),
         RedisArgument(max(o.delayMs, 0)), RedisArgument(max(o.priority, 0)), o.lifo ? "RPUSH" : "LPUSH"]
    }

    // MARK: pause

    /// Stops workers from taking jobs (jobs can still be added).
    public func pause() async throws { _ = try await runner.run(scripts.pause, ["paused"]) }

    public func resume() async throws { _ = try await runner.run(scripts.pause, ["resumed"]) }

    public func isPaused() async throws -> Bool {
        try await redis.send(["HEXISTS", .string(keys.meta), "paused"]).int == 1
    }

    // MARK: inspecting

    /// A job's state and fields, nil if there is no such job.
    public func job(_ id: String) async throws -> JobState? {
        let reply = try await runner.run(scripts.state, [.string(id)])
        guard let a = reply.array, a.count == 2, let s = a[0].string, let items = a[1].array else { return nil }
        return JobState(state: JobState.State(rawValue: s) ?? .unknown, id: id, fields: Job.fieldMap(items))
    }

    /// Jobs per state: wait, active, delayed, prioritized, completed, failed, paused.
    public func counts() async throws -> [String: Int] {
        let reply = try await runner.run(scripts.counts, [])
        guard let a = reply.array, a.count == 7 else { throw QueueError.unexpectedReply("counts: \(reply)") }
        let names = ["wait", "active", "delayed", "prioritized", "completed", "failed", "paused"]
        var out: [String: Int] = [:]
        for (n, v) in zip(names, a) { out[n] = Int(v.int ?? 0) }
        return out
    }

    /// Ids in the failed set (the dead-letter queue), oldest first.
    public func failedJobs(start: Int = 0, end: Int = -1) async throws -> [String] {
        try await redis.zrange(keys.failed, start: start, stop: end)
    }

    /// Ids in the completed set, oldest first.
    public func completedJobs(start: Int = 0, end: Int = -1) async throws -> [String] {
        try await redis.zrange(keys.completed, start: start, stop: end)
    }

    // MARK: dead letters

    /// Moves a failed job back to wait. Its attempt count is kept, so it runs once more
    /// (its remaining attempts if it had any).
    public func retry(jobId: String) async throws {
        let moved = try await runner.run(scripts.retry, [.string(jobId), 1]).int ?? 0
        if moved == 0 { throw QueueError.notFailed(jobId) }
    }

    /// Moves every failed job back to wait; returns how many.
    @discardableResult
    public func retryAllFailed() async throws -> Int {
        var total = 0
        while true {
            let n = Int(try await runner.run(scripts.retry, ["", 1000]).int ?? 0)
            total += n
            if n < 1000 { return total }
        }
    }

    // MARK: rate limit

    /// Global rate limit (all workers of the queue): at most `max` jobs started per
    /// `durationMs`. Stored in the queue's meta hash like BullMQ's `setGlobalRateLimit`.
    public func setGlobalRateLimit(max: Int, durationMs: Int) async throws {
        try await redis.hset(keys.meta, fields: ["max": String(max), "duration": String(durationMs)])
    }

    public func removeGlobalRateLimit() async throws {
        _ = try await redis.send(["HDEL", .string(keys.meta), "max", "duration"])
    }

    /// Global concurrency (all workers): at most `n` active jobs (BullMQ `setGlobalConcurrency`).
    public func setGlobalConcurrency(_ n: Int?) async throws {
        if let n {
            try await redis.hset(keys.meta, "concurrency", String(n))
        } else {
            _ = try await redis.send(["HDEL", .string(keys.meta), "concurrency"])
        }
    }

    // MARK: maintenance

    /// Deletes every key of the queue (tests, benchmarks). Not atomic; stop workers first.
    public func obliterate() async throws {
        var cursor = "0"
        repeat {
            let r = try await redis.send(["SCAN", .string(cursor), "MATCH", .string(keys.prefix + "*"), "COUNT", "1000"])
            guard let a = r.array, a.count == 2, let next = a[0].string, let ks = a[1].array else { break }
            let names = ks.compactMap(\.string)
            if !names.isEmpty { try await redis.del(names) }
            cursor = next
        } while cursor != "0"
    }
}
