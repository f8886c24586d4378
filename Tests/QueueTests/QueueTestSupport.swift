import Foundation
import Logging
import Queue
import Redis
import Synchronization
import TestSupport
import XCTest

/// A queue per test (unique name), on REDIS_URL.
struct QueueFixture {
    let redis: RedisClient
    let name: String
    let queue: JobQueue

    init(_ label: String = #function, url: String = TestEnvironment.redisURL) throws {
        var redisLogger = Logger(label: "redis-test")
        redisLogger.logLevel = .critical  // reconnect warnings are expected in the restart test
        redis = try RedisClient(url: url, poolSize: 4, logger: redisLogger)
        let clean = label.filter { $0.isLetter || $0.isNumber }
        name = "qt-\(clean)-\(UUID().uuidString.prefix(8).lowercased())"
        queue = JobQueue(name: name, redis: redis)
    }

    /// Starts a worker; stop it with `close()` or cancel the task.
    func worker(
        _ options: QueueWorker.Options = .init(), logLevel: Logger.Level = .warning,
        handler: @escaping QueueWorker.Handler
    ) -> (QueueWorker, Task<Void, any Error>) {
        var logger = Logger(label: "queue-test") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        let w = QueueWorker(queue: name, redis: redis, options: options, logger: logger, handler: handler)
        let t = Task { try await w.run() }
        return (w, t)
    }

    func tearDown() async {
        try? await queue.obliterate()
        await redis.close()
    }
}

/// Waits until `condition` holds, polling; fails the test after `timeout`.
func eventually(
    _ what: String, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("timed out waiting for: \(what)", file: file, line: line)
    throw CancellationError()
}

/// A thread-safe recorder for handler observations.
final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func add(_ x: T) { items.withLock { $0.append(x) } }
    var all: [T] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

final class Gauge: Sendable {
    private let s = Mutex<(now: Int, max: Int)>((0, 0))
    func enter() { s.withLock { $0.now += 1; $0.max = Swift.max($0.max, $0.now) } }
    func leave() { s.withLock { $0.now -= 1 } }
    var max: Int { s.withLock { $0.max } }
}

struct Boom: Error, CustomStringConvertible {
    let n: Int
    var description: String { "boom \(n)" }
}

func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// Runs a command, returns its exit status.
@discardableResult
func shell(_ args: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// The queue-bench executable built next to the tests (or TRUSTTRADE_BIN / QUEUE_BENCH).
func queueBenchPath() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let p = env["QUEUE_BENCH"], FileManager.default.isExecutableFile(atPath: p) { return p }
    if let dir = env["TRUSTTRADE_BIN"] {
        let p = URL(fileURLWithPath: dir).appendingPathComponent("queue-bench").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    var dir = Bundle(for: RecorderAnchor.self).bundleURL
    for _ in 0..<3 {
        let p = dir.appendingPathComponent("queue-bench").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}

final class RecorderAnchor {}

