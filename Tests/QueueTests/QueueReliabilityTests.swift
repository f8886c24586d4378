import Foundation
import Logging
import Queue
import Redis
import TestSupport
import XCTest

final class QueueReliabilityTests: XCTestCase {
    /// A worker that dies (its task cancelled: no release, no lock renewal) leaves its
    /// job active; once the lock expires another worker's stalled check puts it back.
    func testStalledJobRecoveredByAnotherWorker() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("s", json: "{}")
        let started = Recorder<String>()
        let (_, dying) = f.worker(.init(lockDurationMs: 500, checkStalledJobs: false)) { ctx in
            started.add("dying")
            try await Task.sleep(for: .seconds(60))
            return nil
        }
        try await eventually("taken") { started.count == 1 }
        dying.cancel()
        _ = try? await dying.value
        assertEqual(try await f.queue.job(id)?.state, .active)

        let (w, t) = f.worker(.init(lockDurationMs: 500, stalledIntervalMs: 200)) { ctx in
            started.add("rescuer:\(ctx.job.stalledCount)")
            return "\"rescued\""
        }
        try await eventually("rescued", timeout: 10) { try await f.queue.job(id)?.state == .completed }
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.returnvalue, "\"rescued\"")
        XCTAssertEqual(s.fields["stc"], "1")
        XCTAssertEqual(started.all, ["dying", "rescuer:1"])
        await w.close()
        try await t.value
        await f.tearDown()
    }

    /// Past maxStalledCount the job fails ("job stalled more than allowable limit").
    func testJobStalledTooOftenFails() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("s", json: "{}", options: .init(attempts: 5))
        let runs = Recorder<Int>()
        for round in 0..<2 {
            let (_, dying) = f.worker(.init(lockDurationMs: 300, stalledIntervalMs: 100, maxStalledCount: 1)) { _ in
                runs.add(round)
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            try await eventually("taken in round \(round)") { runs.count == round + 1 }
            dying.cancel()
            _ = try? await dying.value
        }
        let (w, t) = f.worker(.init(lockDurationMs: 300, stalledIntervalMs: 100, maxStalledCount: 1)) { _ in
            runs.add(99)
            return nil
        }
        try await eventually("failed", timeout: 10) { try await f.queue.job(id)?.state == .failed }
        assertEqual(try await f.queue.job(id)?.failedReason, "job stalled more than allowable limit")
        XCTAssertFalse(runs.all.contains(99), "a job stalled too often must not run again")
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testGracefulShutdownFinishesActiveJobs() async throws {
        let f = try QueueFixture()
        _ = try await f.queue.addBulk((0..<3).map { ("g", "\($0)", JobOptions()) })
        let started = Recorder<String>()
        let (w, t) = f.worker(.init(concurrency: 3)) { ctx in
            started.add(ctx.job.id)
            try await Task.sleep(for: .milliseconds(400))
            return "\"done\""
        }
        try await eventually("all started") { started.count == 3 }
        _ = try await f.queue.addBulk((0..<3).map { ("later", "\($0)", JobOptions()) })
        await w.close()
        try await t.value
        let c = try await f.queue.counts()
        XCTAssertEqual(c["completed"], 3)
        XCTAssertEqual(c["active"], 0)
        XCTAssertEqual(c["wait"], 3, "a closing worker takes no new jobs")
        await f.tearDown()
    }

    func testGracefulShutdownTimeoutPutsJobsBack() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("slow", json: "{}")
        let started = Recorder<String>()
        let (w, t) = f.worker(.init(shutdownTimeoutMs: 200)) { ctx in
            started.add(ctx.job.id)
            try await Task.sleep(for: .seconds(30))
            return nil
        }
        try await eventually("started") { started.count == 1 }
        let t0 = Date()
        await w.close()
        try await t.value
        XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.state, .waiting)
        assertNil(try await f.redis.get("bull:\(f.name):\(id):lock"))
        // and another worker takes it at once
        let (w2, t2) = f.worker { _ in "\"second\"" }
        try await eventually("done") { try await f.queue.job(id)?.state == .completed }
        await w2.close()
        try await t2.value
        await f.tearDown()
    }

    /// Redis crashes (SIGKILL) and restarts from its AOF while jobs run: nothing is lost.
    func testRedisRestartDuringProcessingLosesNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qt-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try freePort()
        // In the foreground, as our child: killed with SIGKILL (a crash), then restarted
        // on the same port and folder; appendfsync always keeps every acknowledged write.
        func startRedis() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [
                "redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                "--appendfsync", "always", "--dir", dir.path, "--logfile", dir.appendingPathComponent("redis.log").path,
            ]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        var server = try startRedis()
        defer { kill(server.processIdentifier, SIGKILL) }
        let url = "redis://127.0.0.1:\(port)/0"
        let f = try QueueFixture(url: url)
        try await eventually("redis up") { (try? await f.redis.ping()) == "PONG" }

        let n = 300
        _ = try await f.queue.addBulk((0..<n).map { ("r", "\($0)", JobOptions(attempts: 3)) })
        let effects = "\(f.name):effects"
        let redis = f.redis
        let (w, t) = f.worker(.init(concurrency: 8, lockDurationMs: 1500, stalledIntervalMs: 500), logLevel: .critical) { ctx in
            try await Task.sleep(for: .milliseconds(20))
            _ = try await redis.send(["SADD", .string(effects), .string(ctx.job.id)])
            return nil
        }
        try await eventually("some done") { (try? await f.queue.counts()["completed"] ?? 0) ?? 0 >= 60 }
        let doneBeforeCrash = try await f.redis.scard(effects)
        kill(server.processIdentifier, SIGKILL)
        XCTAssertLessThan(doneBeforeCrash, n - 50, "the crash must happen mid-run")
        try await Task.sleep(for: .milliseconds(700))
        server = try startRedis()
        try await eventually("all done after restart", timeout: 60) {
            guard let c = try? await f.queue.counts() else { return false }
            return c["completed"] == n
        }
        let c = try await f.queue.counts()
        XCTAssertEqual(c["failed"], 0)
        XCTAssertEqual(c["wait"], 0)
        XCTAssertEqual(c["active"], 0)
        assertEqual(try await f.redis.scard(effects), n)
        await w.close()
        try await t.value
        await f.redis.close()
    }

    /// A worker process is SIGKILLed in the middle of 1,000 jobs; another one recovers
    /// its stalled jobs: every job completes and every effect is recorded, once per job id.
    func testWorkerProcessKilledMidway() async throws {
        guard let bin = queueBenchPath() else {
            throw XCTSkip("queue-bench not built (swift build --product queue-bench, or set QUEUE_BENCH)")
        }
        let f = try QueueFixture()
        let n = 1000
        _ = try await f.queue.addBulk((0..<n).map { ("k", "{\"i\":\($0)}", JobOptions()) })
        let effects = "\(f.name):effects"
        func spawn() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = [
                "worker", "--redis", TestEnvironment.redisURL, "--queue", f.name, "--effects-key", effects,
                "--concurrency", "20", "--sleep-ms", "10", "--lock-ms", "1000", "--stalled-ms", "500",
            ]
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }
        let first = try spawn()
        try await eventually("first worker busy") { try await f.redis.scard(effects) >= 300 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let activeAtKill = try await f.redis.llen("bull:\(f.name):active")
        let second = try spawn()
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await eventually("all completed", timeout: 90) { try await f.queue.counts()["completed"] == n }
        second.terminate()
        second.waitUntilExit()

        let c = try await f.queue.counts()
        XCTAssertEqual(c["failed"], 0)
        XCTAssertEqual(c["wait"], 0)
        XCTAssertEqual(c["active"], 0)
        assertEqual(try await f.redis.scard(effects), n, "every job's effect recorded")
        let runs = try await f.redis.hgetall(effects + ":runs")
        XCTAssertEqual(runs.count, n)
        let rerun = runs.filter { $0.value != "1" }
        // only jobs active in the killed worker can have run twice
        XCTAssertLessThanOrEqual(rerun.count, Int(activeAtKill))
        let stalledCounts = try await f.redis.pipeline((1...n).map { ["HGET", "bull:\(f.name):\($0)", "stc"] })
        let recovered = stalledCounts.filter { $0.string == "1" }.count
        XCTAssertEqual(recovered, Int(activeAtKill), "the jobs the dead worker held were recovered as stalled")
        print("SIGKILL test: \(activeAtKill) active at kill, \(recovered) recovered as stalled, \(rerun.count) ran twice (effect recorded once), effects \(n)/\(n)")
        try await f.redis.del([effects, effects + ":runs"])
        await f.tearDown()
    }
}
