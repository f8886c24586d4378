import ArgumentParser
import Dispatch
import Foundation
import Logging
import Queue
import Redis
import Synchronization

// queue-bench: the queue benchmark, plus the worker/add/inspect commands the
// interop and crash tests drive from other processes.

struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-bench",
        abstract: "TrustTrade queue: benchmark and test driver",
        subcommands: [Bench.self, Worker.self, Add.self, Inspect.self],
        defaultSubcommand: Bench.self)
}

struct Connection: ParsableArguments {
    @Option(help: "Redis URL (default: REDIS_URL or redis://127.0.0.1:6379/0)")
    var redis: String = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"

    @Option(help: "Key prefix")
    var prefix: String = "bull"

    func client(poolSize: Int = 4) throws -> RedisClient {
        try RedisClient(url: redis, poolSize: poolSize, logger: Logger(label: "redis"))
    }
}

func makeLogger(_ label: String, verbose: Bool) -> Logger {
    var l = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    l.logLevel = verbose ? .debug : .warning
    return l
}

// MARK: bench

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add N no-op jobs, then process them; print jobs/s")

    @OptionGroup var connection: Connection
    @Option var jobs = 50_000
    @Option var concurrency = 50
    @Option var queue = "bench-swift"
    @Option(help: "Redis connections in the shared pool")
    var pool = 4
    @Flag(help: "One line: add/s process/s total/s")
    var quiet = false

    func run() async throws {
        let redis = try connection.client(poolSize: pool)
        let q = JobQueue(name: queue, redis: redis, prefix: connection.prefix)
        try await q.obliterate()

        let t0 = DispatchTime.now()
        var batch: [(name: String, json: String, options: JobOptions)] = []
        batch.reserveCapacity(1000)
        for i in 0..<jobs {
            batch.append(("noop", "{\"i\":\(i)}", JobOptions()))
            if batch.count == 1000 || i == jobs - 1 {
                try await q.addBulk(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        let t1 = DispatchTime.now()

        let done = Counter(target: jobs)
        let worker = QueueWorker(
            queue: queue, redis: redis, prefix: connection.prefix,
            options: .init(concurrency: concurrency), logger: makeLogger("bench", verbose: false)
        ) { _ in
            done.increment()
            return nil
        }
        let task = Task { try await worker.run() }
        await done.wait()
        let t2 = DispatchTime.now()
        await worker.close()
        _ = try? await task.value
        let counts = try await q.counts()
        try await q.obliterate()
        await redis.close()

        let addS = Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
        let procS = Double(t2.uptimeNanoseconds - t1.uptimeNanoseconds) / 1e9
        let addRate = Double(jobs) / addS
        let procRate = Double(jobs) / procS
        let total = Double(jobs) / (addS + procS)
        if quiet {
            print(String(format: "%.0f %.0f %.0f", addRate, procRate, total))
        } else {
            print("jobs \(jobs), concurrency \(concurrency), completed \(counts["completed"] ?? -1)")
            print(String(format: "add      %8.2fs  %9.0f jobs/s", addS, addRate))
            print(String(format: "process  %8.2fs  %9.0f jobs/s", procS, procRate))
            print(String(format: "total    %8.2fs  %9.0f jobs/s", addS + procS, total))
        }
    }
}

/// Counts handler calls; `wait()` returns when `target` is reached.
final class Counter: Sendable {
    private let state: Mutex<(n: Int, waiter: CheckedContinuation<Void, Never>?)> = Mutex((0, nil))
    let target: Int
    init(target: Int) { self.target = target }

    func increment() {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.n += 1
            if s.n >= target, let w = s.waiter {
                s.waiter = nil
                return w
            }
            return nil
        }
        c?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.n >= target { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}


// MARK: worker

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process a queue's jobs. Each run records its effect idempotently by job id: "
            + "SADD <effects-key> <id> and HINCRBY <effects-key>:runs <id> 1. Returns "
            + "{\"jobId\", \"attempt\", \"data\"}. A job whose data has \"failTimes\": n fails its first n attempts.")

    @OptionGroup var connection: Connection
    @Option var queue: String
    @Option(help: "Set of processed job ids")
    var effectsKey: String?
    @Option var concurrency = 10
    @Option var lockMs = 30_000
    @Option var stalledMs = 30_000
    @Option var maxStalled = 1
    @Option(help: "Handler duration, ms")
    var sleepMs = 0
    @Option(help: "Exit when the queue has no waiting, active, delayed or prioritized jobs for this long (ms); 0 = run until SIGTERM/SIGINT")
    var idleExitMs = 0
    @Flag var verbose = false

    func run() async throws {
        let redis = try connection.client()
        let q = JobQueue(name: queue, redis: redis, prefix: connection.prefix)
        let effects = effectsKey
        let sleep = sleepMs
        let worker = QueueWorker(
            queue: queue, redis: redis, prefix: connection.prefix,
            options: .init(
                concurrency: concurrency, lockDurationMs: lockMs, stalledIntervalMs: stalledMs, maxStalledCount: maxStalled,
                shutdownTimeoutMs: 5_000, name: "queue-bench-\(getpid())"),
            logger: makeLogger("queue-bench-worker", verbose: verbose)
        ) { ctx in
            let job = ctx.job
            if sleep > 0 { try await Task.sleep(for: .milliseconds(sleep)) }
            struct Plan: Decodable { var failTimes: Int? }
            if let fail = (try? job.decode(Plan.self))?.failTimes, job.attemptsMade < fail {
                throw PlannedFailure(attempt: job.attempt)
            }
            if let effects {
                _ = try await redis.pipeline([
                    ["SADD", .string(effects), .string(job.id)],
                    ["HINCRBY", .string(effects + ":runs"), .string(job.id), "1"],
                ])
            }
            return "{\"jobId\":\(quoted(job.id)),\"attempt\":\(job.attempt),\"data\":\(job.data)}"
        }
        let signals = installSignalHandlers { Task { await worker.close() } }
        let task = Task { try await worker.run() }
        if idleExitMs > 0 {
            var idleSince: Date?
            while true {
                try await Task.sleep(for: .milliseconds(100))
                let c = try await q.counts()
                let pending = (c["wait"] ?? 0) + (c["active"] ?? 0) + (c["delayed"] ?? 0) + (c["prioritized"] ?? 0) + (c["paused"] ?? 0)
                if pending > 0 {
                    idleSince = nil
                } else if let s = idleSince {
                    if Date().timeIntervalSince(s) * 1000 >= Double(idleExitMs) { break }
                } else {
                    idleSince = Date()
                }
            }
            await worker.close()
        }
        try await task.value
        _ = signals
        await redis.close()
    }
}

struct PlannedFailure: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "planned failure on attempt \(attempt)" }
}

func quoted(_ s: String) -> String {
    String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
}

func installSignalHandlers(_ onSignal: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { sig in
        signal(sig, SIG_IGN)
        let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        src.setEventHandler { onSignal() }
        src.resume()
        return src
    }
}

// MARK: add

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add jobs; prints their ids, one a line")

    @OptionGroup var connection: Connection
    @Option var queue: String
    @Option var name = "job"
    @Option var count = 1
    @Option(help: "Job data (JSON); {i} is replaced by the job's index")
    var data = "{\"i\":{i}}"
    @Option var jobId: String?
    @Option var attempts = 1
    @Option(help: "fixed:<ms> or exponential:<ms>")
    var backoff: String?
    @Option var delayMs = 0
    @Option var priority = 0

    func run() async throws {
        let redis = try connection.client()
        let q = JobQueue(name: queue, redis: redis, prefix: connection.prefix)
        var b: Backoff?
        if let backoff {
            let parts = backoff.split(separator: ":")
            guard parts.count == 2, let ms = Int(parts[1]) else { throw ValidationError("backoff: fixed:<ms> or exponential:<ms>") }
            b = parts[0] == "exponential" ? .exponential(delayMs: ms) : .fixed(delayMs: ms)
        }
        var jobs: [(name: String, json: String, options: JobOptions)] = []
        for i in 0..<count {
            let opts = JobOptions(
                jobId: jobId.map { count == 1 ? $0 : "\($0)-\(i)" }, delayMs: delayMs, priority: priority,
                attempts: attempts, backoff: b)
            jobs.append((name, data.replacingOccurrences(of: "{i}", with: String(i)), opts))
        }
        for id in try await q.addBulk(jobs) { print(id) }
        await redis.close()
    }
}

// MARK: inspect

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a job (JSON) or, without --job, the queue's counts")

    @OptionGroup var connection: Connection
    @Option var queue: String
    @Option var job: String?

    func run() async throws {
        let redis = try connection.client()
        let q = JobQueue(name: queue, redis: redis, prefix: connection.prefix)
        if let id = job {
            guard let s = try await q.job(id) else {
                print("null")
                await redis.close()
                return
            }
            var out: [String: String] = s.fields
            out["state"] = s.state.rawValue
            out["id"] = id
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let data = try JSONSerialization.data(withJSONObject: try await q.counts(), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        await redis.close()
    }
}

// main.swift is top-level code, so no @main: parse and run by hand (what
// AsyncParsableCommand.main does).
func runAsync<C: AsyncParsableCommand>(_ command: C) async throws {
    var c = command
    try await c.run()
}

func dispatch(_ command: any ParsableCommand) async throws {
    switch command {
    case let c as Bench: try await runAsync(c)
    case let c as Worker: try await runAsync(c)
    case let c as Add: try await runAsync(c)
    case let c as Inspect: try await runAsync(c)
    default:
        var c = command
        try c.run()
    }
}

do {
    try await dispatch(try QueueBench.parseAsRoot())
} catch {
    QueueBench.exit(withError: error)
}
