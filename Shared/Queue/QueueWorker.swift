import Foundation
import Logging
import Redis
import ServiceLifecycle
import Synchronization

/// What a handler gets: the job (id and attempt number included, for idempotent
/// handlers), a logger with the job's metadata, and progress reporting.
public struct JobContext: Sendable {
    public let job: Job
    public let logger: Logger
    /// The lock token of this run.
    public let token: String
    let runner: ScriptRunner

    /// Stores `progress` (a number) in the job and emits a `progress` event.
    public func updateProgress(_ progress: Int) async throws {
        try await updateProgress(json: String(progress))
    }

    /// Stores `json` as the job's progress and emits a `progress` event.
    public func updateProgress(json: String) async throws {
        _ = try await runner.run(QueueScripts.shared.progress, [.string(job.id), .string(json)])
    }
}

/// Processes the jobs of one queue, `concurrency` at a time (BullMQ worker semantics).
///
/// - Each active job holds a lock (`<queue>:<id>:lock`) that the worker renews for all
///   its jobs in one call every `lockRenewMs`.
/// - A finished job fetches the next one in the same script (one round trip per job).
/// - Idle, the worker blocks on the queue's `marker` sorted set with one dedicated
///   connection (BZPOPMIN), whatever its concurrency.
/// - Every `stalledIntervalMs` one worker of the queue puts back jobs whose lock has
///   expired (their worker died); after `maxStalledCount` such recoveries a job fails.
/// - A thrown error fails the attempt: retried after the job's backoff while attempts
///   remain, else the job goes to `failed` with the reason and a stack entry.
/// - Graceful shutdown (ServiceLifecycle or `close()`) stops taking jobs, waits up to
///   `shutdownTimeoutMs` for active ones, then cancels the rest and puts them back in
///   wait. Cancelling `run()` instead abandons active jobs: their locks expire and the
///   stalled check of any worker puts them back.
public final class QueueWorker: Service, Sendable {
    public struct Options: Sendable {
        public var concurrency: Int
        public var lockDurationMs: Int
        /// Lock renewal period; default half of `lockDurationMs`.
        public var lockRenewMs: Int?
        public var stalledIntervalMs: Int
        public var maxStalledCount: Int
        /// At most `max` jobs started per `durationMs` (shared by the queue's workers
        /// through the `limiter` key). A global limit in the queue's meta wins.
        public var limiter: (max: Int, durationMs: Int)?
        /// Longest BZPOPMIN wait before looking again, seconds.
        public var drainDelaySeconds: Double
        /// Graceful shutdown: how long active jobs may take before they are put back.
        public var shutdownTimeoutMs: Int
        /// Written to a job's `pb` (processed by) field.
        public var name: String?
        /// Run the stalled-job check from this worker.
        public var checkStalledJobs: Bool

        public init(
            concurrency: Int = 1, lockDurationMs: Int = 30_000, lockRenewMs: Int? = nil,
            stalledIntervalMs: Int = 30_000, maxStalledCount: Int = 1,
            limiter: (max: Int, durationMs: Int)? = nil, drainDelaySeconds: Double = 5,
            shutdownTimeoutMs: Int = 10_000, name: String? = nil, checkStalledJobs: Bool = true
        ) {
            self.concurrency = concurrency
            self.lockDurationMs = lockDurationMs
            self.lockRenewMs = lockRenewMs
            self.stalledIntervalMs = stalledIntervalMs
            self.maxStalledCount = maxStalledCount
            self.limiter = limiter
            self.drainDelaySeconds = drainDelaySeconds
            self.shutdownTimeoutMs = shutdownTimeoutMs
            self.name = name
            self.checkStalledJobs = checkStalledJobs
        }
    }

    public typealias Handler = @Sendable (JobContext) async throws -> String?

    public let queue: String
    public let options: Options
    let redis: RedisClient
    let keys: QueueKeys
    let runner: ScriptRunner
    let logger: Logger
    let handler: Handler
    let workerId: String
    let scripts = QueueScripts.shared

    private struct State {
        var active: [String: String] = [:]
        var tokenCounter = 0
        var closing = false
        var releaseOnCancel = false
        var running = false
        var finished = false
        var limitUntil: Int64 = 0
        var blockUntil: Int64 = 0
        var blocker: Task<Void, Never>?
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Idle slots wait here for the blocker (or a sibling) to say there may be work.
    private let wake: WakeSignal
    /// The blocker waits here until some slot is idle (`wake` signals it).
    private let idle: WakeSignal
    /// Fires when graceful shutdown starts.
    private let closingSignal = WakeSignal()

    public init(
        queue: String, redis: RedisClient, prefix: String = "bull", options: Options = .init(), logger: Logger,
        handler: @escaping Handler
    ) {
        self.queue = queue
        self.redis = redis
        self.options = options
        keys = QueueKeys(queue: queue, prefix: prefix)
        runner = ScriptRunner(redis: redis, keys: keys)
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue)"
        self.logger = logger
        self.handler = handler
        workerId = UUID().uuidString.lowercased()
        let idle = WakeSignal()
        self.idle = idle
        wake = WakeSignal(maxPermits: max(options.concurrency, 1), onWait: idle)
    }

    /// Jobs this worker is running now.
    public var activeJobIds: [String] { state.withLock { Array($0.active.keys) } }

    // MARK: lifecycle

    /// Processes jobs until graceful shutdown / `close()` (active jobs finish or go
    /// back to wait) or cancellation (active jobs are abandoned to stalled recovery).
    public func run() async throws {
        let already = state.withLock { s -> Bool in
            defer { s.running = true }
            return s.running
        }
        if already { throw QueueWorkerError.alreadyRunning }
        await withGracefulShutdownHandler {
            await self.runLoops()
        } onGracefulShutdown: {
            self.beginClose()
        }
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.closeWaiters = [] }
            return s.closeWaiters
        }
        for w in waiters { w.resume() }
    }

    /// Graceful stop: no new jobs; waits for `run()` to return.
    public func close() async {
        beginClose()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.finished || !s.running { return true }
                s.closeWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    private func beginClose() {
        let blocker = state.withLock { s -> Task<Void, Never>? in
            if s.closing { return nil }
            s.closing = true
            return s.blocker
        }
        blocker?.cancel()
        wake.close()
        idle.close()
        closingSignal.signal()
    }

    private var isClosing: Bool { state.withLock { $0.closing } }

    private enum LoopEnd { case slots, timeout, helper }

    private func runLoops() async {
        logger.debug("queue worker starting", metadata: ["concurrency": "\(options.concurrency)"])
        await withTaskGroup(of: LoopEnd.self) { group in
            group.addTask {
                let blocker = Task { await self.blockerLoop() }
                let startNow = self.state.withLock { s -> Bool in
                    s.blocker = blocker
                    return !s.closing
                }
                if !startNow { blocker.cancel() }
                await withTaskCancellationHandler { await blocker.value } onCancel: { blocker.cancel() }
                return .helper
            }
            group.addTask { await self.lockRenewLoop(); return .helper }
            if options.checkStalledJobs {
                group.addTask { await self.stalledLoop(); return .helper }
            }
            group.addTask {
                await withTaskGroup(of: Void.self) { slots in
                    for _ in 0..<max(self.options.concurrency, 1) {
                        slots.addTask { await self.slotLoop() }
                    }
                }
                return .slots
            }
            group.addTask {
                // graceful shutdown watchdog
                _ = await self.closingSignal.wait()
                if Task.isCancelled { return .helper }
                try? await Task.sleep(for: .milliseconds(self.options.shutdownTimeoutMs))
                return Task.isCancelled ? .helper : .timeout
            }
            while let end = await group.next() {
                switch end {
                case .slots:
                    group.cancelAll()
                case .timeout:
                    let n = state.withLock { s -> Int in
                        s.releaseOnCancel = true
                        return s.active.count
                    }
                    if n > 0 {
                        logger.warning("queue worker shutdown timeout; putting active jobs back", metadata: ["jobs": "\(n)"])
                    }
                    group.cancelAll()
                case .helper:
                    break
                }
            }
        }
        logger.debug("queue worker stopped")
    }

    // MARK: slots

    private enum Outcome {
        case job(Job, token: String)
        case idle
        case again
        case limited(Int)
        case error
    }

    private func slotLoop() async {
        var outcome: Outcome = .again
        var errors = 0
        while !Task.isCancelled {
            switch outcome {
            case .job(let job, let token):
                errors = 0
                outcome = await process(job, token: token)
                continue
            case .idle:
                if isClosing { return }
                guard await wake.wait() else { return }
            case .again:
                break
            case .limited(let ms):
                try? await Task.sleep(for: .milliseconds(max(ms, 1)))
            case .error:
                errors += 1
                try? await Task.sleep(for: .milliseconds(min(50 << min(errors, 5), 2000)))
            }
            if isClosing || Task.isCancelled { return }
            outcome = await fetch()
            if case .job = outcome { wake.signalIfWaiting() }
        }
    }

    private func nextToken() -> String {
        let n = state.withLock { s -> Int in
            s.tokenCounter += 1
            return s.tokenCounter
        }
        return "\(workerId):\(n)"
    }

    private var limiterArgs: [RedisArgument] {
        if let l = options.limiter { return [RedisArgument(l.max), RedisArgument(l.durationMs)] }
        return ["", ""]
    }

    private func fetch() async -> Outcome {
        let wait = state.withLock { s -> Int64 in s.limitUntil - ScriptRunner.nowMs() }
        if wait > 0 { return .limited(Int(wait)) }
        let token = nextToken()
        do {
            let reply = try await runner.run(
                scripts.fetch,
                [.string(token), RedisArgument(options.lockDurationMs)] + limiterArgs + [.string(options.name ?? "")])
            return taken(reply, token: token)
        } catch {
            logger.warning("queue fetch failed", metadata: ["error": "\(error)"])
            return .error
        }
    }

    /// Reads `{code, jobId, fields, limitMs, nextDueMs}`; registers a taken job.
    private func taken(_ reply: RedisValue, token: String) -> Outcome {
        guard let a = reply.array, a.count == 5 else { return .idle }
        if let id = a[1].string, !id.isEmpty {
            state.withLock { $0.active[id] = token }
            guard let job = Job(id: id, hgetall: a[2]) else {
                // the hash is gone (removed meanwhile): the script left the id in active; let stalled check clean it
                state.withLock { _ = $0.active.removeValue(forKey: id) }
                return .again
            }
            return .job(job, token: token)
        }
        let limit = Int(a[3].int ?? 0)
        if limit > 0 {
            state.withLock { $0.limitUntil = ScriptRunner.nowMs() + Int64(limit) }
            return .limited(limit)
        }
        let due = a[4].int ?? 0
        if due > 0 {
            state.withLock { s in
                if s.blockUntil == 0 || due < s.blockUntil { s.blockUntil = due }
            }
        }
        return .idle
    }

    private enum Result {
        case completed(String)
        case failed(reason: String, stack: String, unrecoverable: Bool)
    }

    private func process(_ job: Job, token: String) async -> Outcome {
        var jobLogger = logger
        jobLogger[metadataKey: "job.id"] = "\(job.id)"
        jobLogger[metadataKey: "job.attempt"] = "\(job.attempt)"
        let result: Result
        if let reason = job.deferredFailure {
            result = .failed(reason: reason, stack: "", unrecoverable: true)
        } else {
            do {
                let value = try await handler(JobContext(job: job, logger: jobLogger, token: token, runner: runner))
                result = .completed(value ?? "null")
            } catch {
                if Task.isCancelled {
                    let release = state.withLock { $0.releaseOnCancel }
                    if release { await putBack(job, token: token) } else { forget(job.id) }
                    return .idle
                }
                let unrecoverable = error is UnrecoverableError
                result = .failed(
                    reason: Self.describe(error),
                    stack: "\(String(reflecting: type(of: error))): \(String(reflecting: error))\n    at \(queue) job \(job.id) attempt \(job.attempt)",
                    unrecoverable: unrecoverable)
            }
        }
        return await finish(job, token: token, result: result, logger: jobLogger)
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? LocalizedError, let d = e.errorDescription { return d }
        return String(describing: error)
    }

    private func forget(_ id: String) {
        _ = state.withLock { $0.active.removeValue(forKey: id) }
    }

    private func putBack(_ job: Job, token: String) async {
        defer { forget(job.id) }
        do {
            _ = try await runner.run(scripts.release, [.string(job.id), .string(token)])
            logger.info("queue job put back to wait", metadata: ["job.id": "\(job.id)"])
        } catch {
            logger.warning("queue could not put job back; stalled check will", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    private func finish(_ job: Job, token: String, result: Result, logger: Logger) async -> Outcome {
        defer { forget(job.id) }
        var delayMs = 100
        let deadline = ScriptRunner.nowMs() + Int64(max(options.lockDurationMs, 5_000))
        while true {
            let fetchNext = !(isClosing || Task.isCancelled)
            let nextToken = nextToken()
            var tail: [RedisArgument] = [.string(job.id), .string(token)]
            let script: RedisScript
            switch result {
            case .completed(let value):
                let keep = job.options.removeOnComplete.scriptArgs
                script = scripts.complete
                tail += [.string(value), RedisArgument(keep.count), RedisArgument(keep.age)]
            case .failed(let reason, let stack, let unrecoverable):
                let keep = job.options.removeOnFail.scriptArgs
                script = scripts.fail
                tail += [
                    .string(reason), .string(stack), RedisArgument(job.options.attempts),
                    .string(job.options.backoff?.typeName ?? ""), RedisArgument(job.options.backoff?.delayMs ?? 0),
                    unrecoverable ? "1" : "0", RedisArgument(keep.count), RedisArgument(keep.age),
                ]
            }
            tail += [fetchNext ? "1" : "0", .string(nextToken), RedisArgument(options.lockDurationMs)]
                + limiterArgs + [.string(options.name ?? "")]
            if case .failed = result {
                tail.append(RedisArgument(job.options.stackTraceLimit ?? -1))
            }
            do {
                let reply = try await runner.run(script, tail)
                guard let a = reply.array, a.count == 5, let code = a[0].int else {
                    logger.error("queue finish: unexpected reply", metadata: ["reply": "\(reply)"])
                    return .error
                }
                switch code {
                case 1: logger.trace("queue job completed")
                case 2:
                    if case .failed(let reason, _, _) = result {
                        logger.info("queue job failed", metadata: ["reason": "\(reason)"])
                    }
                case 3, 4: logger.debug("queue job attempt failed; retrying")
                default:
                    logger.warning("queue job could not be finished (lock lost?)", metadata: ["code": "\(code)"])
                }
                return taken(reply, token: nextToken)
            } catch {
                if Self.isTransient(error), ScriptRunner.nowMs() < deadline, !Task.isCancelled {
                    logger.warning("queue finish failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(delayMs))
                    delayMs = min(delayMs * 2, 2_000)
                    continue
                }
                logger.error("queue finish failed; stalled check will recover the job", metadata: ["error": "\(error)"])
                return .error
            }
        }
    }

    static func isTransient(_ error: any Error) -> Bool {
        guard let e = error as? RedisError else { return false }
        switch e {
        case .connectionClosed, .connectionFailed, .timeout: return true
        case .server:
            let code = e.serverErrorCode ?? ""
            return ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"].contains(code)
        default: return false
        }
    }

    // MARK: blocking on the marker

    private func blockerLoop() async {
        var failures = 0
        while !Task.isCancelled && !isClosing {
            do {
                try await redis.withDedicatedConnection { conn in
                    while !Task.isCancelled && !self.isClosing {
                        if self.wake.waiting == 0 {
                            guard await self.idle.wait() else { return }
                            continue
                        }
                        let now = ScriptRunner.nowMs()
                        let until = self.state.withLock { $0.blockUntil }
                        var timeout = self.options.drainDelaySeconds
                        if until > 0 {
                            if until <= now {
                                self.state.withLock { $0.blockUntil = 0 }
                                self.wake.signal()
                                continue
                            }
                            timeout = min(Double(until - now) / 1000, timeout)
                        }
                        let popped = try await conn.bzpopmin([self.keys.marker], timeout: max(timeout, 0.002))
                        failures = 0
                        let after = ScriptRunner.nowMs()
                        if let popped {
                            let due = Int64(popped.score)
                            if due <= after {
                                self.wake.signal()
                            } else {
                                self.state.withLock { s in
                                    if s.blockUntil == 0 || due < s.blockUntil { s.blockUntil = due }
                                }
                            }
                        } else {
                            // timed out: a due delayed job, or a periodic look
                            self.state.withLock { s in if s.blockUntil > 0 && s.blockUntil <= after { s.blockUntil = 0 } }
                            self.wake.signal()
                        }
                    }
                }
            } catch {
                if Task.isCancelled || isClosing { return }
                failures += 1
                logger.warning("queue marker wait failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 4), 2_000)))
                wake.signal()
            }
        }
    }

    // MARK: locks and stalled jobs

    private func lockRenewLoop() async {
        let period = options.lockRenewMs ?? max(options.lockDurationMs / 2, 1)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(period))
            } catch { return }
            let jobs = state.withLock { $0.active }
            if jobs.isEmpty { continue }
            var tail: [RedisArgument] = [RedisArgument(options.lockDurationMs)]
            tail.reserveCapacity(1 + jobs.count * 2)
            for (id, token) in jobs { tail += [.string(id), .string(token)] }
            do {
                let lost = try await runner.run(scripts.extendLocks, tail).array?.compactMap(\.string) ?? []
                for id in lost where state.withLock({ $0.active[id] != nil }) {
                    logger.warning("queue job lock lost; another worker may run it", metadata: ["job.id": "\(id)"])
                }
            } catch {
                logger.warning("queue lock renewal failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func stalledLoop() async {
        while !Task.isCancelled {
            do {
                let moved = try await runner.run(
                    scripts.stalled, [RedisArgument(options.maxStalledCount), RedisArgument(options.stalledIntervalMs)])
                let ids = moved.array?.compactMap(\.string) ?? []
                if !ids.isEmpty {
                    logger.warning("queue stalled jobs put back", metadata: ["jobs": "\(ids)"])
                }
            } catch {
                logger.warning("queue stalled check failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: .milliseconds(options.stalledIntervalMs))
            } catch { return }
        }
    }
}

public enum QueueWorkerError: Error, Sendable {
    case alreadyRunning
}
