import Foundation
import Logging
import Queue
import Redis
import TestSupport
import XCTest

final class QueueBasicsTests: XCTestCase {
    func testAddProcessReturnValue() async throws {
        let f = try QueueFixture()
        struct Payload: Codable, Sendable { var to: String; var n: Int }
        let id = try await f.queue.add("email", data: Payload(to: "a@b.ph", n: 3))
        let raw = try await f.redis.hgetall("bull:\(f.name):\(id)")
        XCTAssertEqual(raw["name"], "email")
        XCTAssertNotNil(raw["timestamp"])
        XCTAssertEqual(raw["delay"], "0")
        XCTAssertEqual(raw["priority"], "0")
        assertTrue(try await f.redis.lrange("bull:\(f.name):wait", 0, -1).contains(id))
        assertNotNil(try await f.redis.zscore("bull:\(f.name):marker", "0"))

        let seen = Recorder<(String, Int, String)>()
        let (w, t) = f.worker { ctx in
            let p = try ctx.job.decode(Payload.self)
            seen.add((ctx.job.id, ctx.job.attempt, ctx.job.name))
            return "{\"sent\":\(p.n * 2)}"
        }
        try await eventually("completed") { try await f.queue.job(id)?.state == .completed }
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.returnvalue, "{\"sent\":6}")
        XCTAssertEqual(s.attemptsMade, 1)
        XCTAssertNotNil(s.finishedOn)
        XCTAssertEqual(seen.all.first?.0, id)
        XCTAssertEqual(seen.all.first?.1, 1)
        XCTAssertEqual(seen.all.first?.2, "email")
        let counts = try await f.queue.counts()
        XCTAssertEqual(counts["completed"], 1)
        XCTAssertEqual(counts["wait"], 0)
        XCTAssertEqual(counts["active"], 0)
        assertGreaterThan(try await f.redis.send(["XLEN", .string("bull:\(f.name):events")]).int ?? 0, 3)
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testDuplicateJobIdAddsNothing() async throws {
        let f = try QueueFixture()
        let a = try await f.queue.add("x", json: "{\"v\":1}", options: .init(jobId: "order-42"))
        let b = try await f.queue.add("x", json: "{\"v\":2}", options: .init(jobId: "order-42"))
        XCTAssertEqual(a, "order-42")
        XCTAssertEqual(b, "order-42")
        assertEqual(try await f.redis.llen("bull:\(f.name):wait"), 1)
        assertEqual(try await f.queue.job("order-42")?.job.data, "{\"v\":1}")
        let ids = try await f.queue.addBulk([("x", "{}", .init()), ("x", "{}", .init(jobId: "order-42")), ("x", "{}", .init())])
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual(ids[1], "order-42")
        assertEqual(try await f.redis.llen("bull:\(f.name):wait"), 3)
        await f.tearDown()
    }

    func testDelayedJob() async throws {
        let f = try QueueFixture()
        let added = nowMs()
        let id = try await f.queue.add("later", json: "{}", options: .init(delayMs: 600))
        assertEqual(try await f.queue.job(id)?.state, .delayed)
        let started = Recorder<Int64>()
        let (w, t) = f.worker { _ in started.add(nowMs()); return nil }
        try await eventually("delayed job done") { try await f.queue.job(id)?.state == .completed }
        XCTAssertGreaterThanOrEqual(started.all[0] - added, 590)
        XCTAssertLessThan(started.all[0] - added, 3000)
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testPriorityOrder() async throws {
        let f = try QueueFixture()
        try await f.queue.pause()
        _ = try await f.queue.add("p", json: "\"p3\"", options: .init(priority: 3))
        _ = try await f.queue.add("p", json: "\"p1\"", options: .init(priority: 1))
        _ = try await f.queue.add("p", json: "\"none\"")
        _ = try await f.queue.add("p", json: "\"p2\"", options: .init(priority: 2))
        _ = try await f.queue.add("p", json: "\"p1b\"", options: .init(priority: 1))
        assertEqual(try await f.queue.counts()["prioritized"], 4)
        let order = Recorder<String>()
        let (w, t) = f.worker(.init(concurrency: 1)) { ctx in order.add(ctx.job.data); return nil }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(order.count, 0, "paused queue must not be processed")
        try await f.queue.resume()
        try await eventually("all done") { order.count == 5 }
        XCTAssertEqual(order.all, ["\"none\"", "\"p1\"", "\"p1b\"", "\"p2\"", "\"p3\""])
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testFixedBackoffThenFailedWithReasonAndStack() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("flaky", json: "{}", options: .init(attempts: 3, backoff: .fixed(delayMs: 300)))
        let starts = Recorder<Int64>()
        let (w, t) = f.worker { ctx in
            starts.add(nowMs())
            throw Boom(n: ctx.job.attempt)
        }
        try await eventually("failed") { try await f.queue.job(id)?.state == .failed }
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.attemptsMade, 3)
        XCTAssertEqual(s.failedReason, "boom 3")
        XCTAssertEqual(s.stacktrace.count, 3)
        XCTAssertTrue(s.stacktrace[0].contains("boom 1"))
        XCTAssertNotNil(s.finishedOn)
        let st = starts.all
        XCTAssertEqual(st.count, 3)
        XCTAssertGreaterThanOrEqual(st[1] - st[0], 295)
        XCTAssertGreaterThanOrEqual(st[2] - st[1], 295)
        XCTAssertLessThan(st[2] - st[0], 2500)
        assertEqual(try await f.queue.failedJobs(), [id])
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testExponentialBackoff() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("flaky", json: "{}", options: .init(attempts: 4, backoff: .exponential(delayMs: 150)))
        let starts = Recorder<Int64>()
        let (w, t) = f.worker { ctx in
            starts.add(nowMs())
            if ctx.job.attempt < 4 { throw Boom(n: ctx.job.attempt) }
            return "\"ok\""
        }
        try await eventually("completed") { try await f.queue.job(id)?.state == .completed }
        let st = starts.all
        XCTAssertEqual(st.count, 4)
        XCTAssertGreaterThanOrEqual(st[1] - st[0], 145)  // 150
        XCTAssertGreaterThanOrEqual(st[2] - st[1], 295)  // 300
        XCTAssertGreaterThanOrEqual(st[3] - st[2], 595)  // 600
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.attemptsMade, 4)
        XCTAssertEqual(s.returnvalue, "\"ok\"")
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testNoBackoffRetriesAndUnrecoverable() async throws {
        let f = try QueueFixture()
        let a = try await f.queue.add("a", json: "{}", options: .init(attempts: 2))
        let b = try await f.queue.add("b", json: "{}", options: .init(attempts: 5))
        let runs = Recorder<String>()
        let (w, t) = f.worker { ctx in
            runs.add(ctx.job.name)
            if ctx.job.name == "b" { throw UnrecoverableError("bad input") }
            if ctx.job.attempt == 1 { throw Boom(n: 1) }
            return nil
        }
        try await eventually("both finished") {
            let sa = try await f.queue.job(a)?.state
            let sb = try await f.queue.job(b)?.state
            return sa == .completed && sb == .failed
        }
        XCTAssertEqual(runs.all.filter { $0 == "b" }.count, 1)
        assertEqual(try await f.queue.job(b)?.failedReason, "bad input")
        assertEqual(try await f.queue.job(a)?.attemptsMade, 2)
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testRetryFromFailed() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("dlq", json: "{}", options: .init(attempts: 2))
        let fixed = Recorder<Bool>()
        let (w, t) = f.worker { ctx in
            if fixed.count == 0 { throw Boom(n: ctx.job.attempt) }
            return "\"finally\""
        }
        try await eventually("failed") { try await f.queue.job(id)?.state == .failed }
        assertEqual(try await f.queue.failedJobs(), [id])
        fixed.add(true)
        try await f.queue.retry(jobId: id)
        try await eventually("completed after retry") { try await f.queue.job(id)?.state == .completed }
        let s = try await f.queue.job(id)!
        XCTAssertEqual(s.returnvalue, "\"finally\"")
        XCTAssertEqual(s.attemptsMade, 3)
        assertEqual(try await f.queue.failedJobs(), [])
        do {
            try await f.queue.retry(jobId: id)
            XCTFail("retry of a completed job must throw")
        } catch {}
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testRetryAllFailed() async throws {
        let f = try QueueFixture()
        for i in 0..<5 { _ = try await f.queue.add("x", json: "\(i)") }
        let ok = Recorder<Bool>()
        let (w, t) = f.worker(.init(concurrency: 5)) { ctx in
            if ok.count == 0 { throw Boom(n: 0) }
            return nil
        }
        try await eventually("5 failed") { try await f.queue.counts()["failed"] == 5 }
        ok.add(true)
        assertEqual(try await f.queue.retryAllFailed(), 5)
        try await eventually("5 completed") { try await f.queue.counts()["completed"] == 5 }
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testRemoveOnCompleteCountAndAge() async throws {
        let f = try QueueFixture()
        for i in 0..<10 { _ = try await f.queue.add("c", json: "\(i)", options: .init(removeOnComplete: .count(3))) }
        let none = try await f.queue.add("n", json: "0", options: .init(removeOnComplete: .none))
        let (w, t) = f.worker(.init(concurrency: 1)) { _ in nil }
        try await eventually("drained") {
            let c = try await f.queue.counts()
            return c["wait"] == 0 && c["active"] == 0
        }
        assertEqual(try await f.queue.counts()["completed"], 3)
        assertNil(try await f.queue.job(none))
        assertNil(try await f.queue.job("1"))
        // The newest three by finish time stay; jobs finished in the same millisecond tie (as in BullMQ),
        // so which of the last few stay is not fixed, only that they are the count-limited jobs and completed.
        let kept = try await f.queue.completedJobs()
        assertEqual(kept.count, 3)
        for id in kept {
            assertTrue(Int(id).map { (5...10).contains($0) } ?? false, "kept \(id)")
            assertEqual(try await f.queue.job(id)?.state, .completed)
        }

        // age: jobs older than 1s go when the next job finishes
        let old = try await f.queue.add("a", json: "0", options: .init(removeOnComplete: .age(seconds: 1)))
        try await eventually("old done") { try await f.queue.job(old)?.state == .completed }
        try await Task.sleep(for: .milliseconds(1100))
        let new = try await f.queue.add("a", json: "1", options: .init(removeOnComplete: .age(seconds: 1)))
        try await eventually("new done") { try await f.queue.job(new)?.state == .completed }
        assertNil(try await f.queue.job(old))
        assertEqual(try await f.queue.completedJobs(), [new])

        // failed jobs: removeOnFail count
        await w.close()
        try await t.value
        for i in 0..<4 { _ = try await f.queue.add("bad", json: "\(i)", options: .init(removeOnFail: .count(2))) }
        let (w2, t2) = f.worker { _ in throw Boom(n: 0) }
        try await eventually("failed trimmed") {
            let c = try await f.queue.counts()
            return c["wait"] == 0 && c["active"] == 0 && c["failed"] == 2
        }
        await w2.close()
        try await t2.value
        await f.tearDown()
    }

    func testPauseResume() async throws {
        let f = try QueueFixture()
        let done = Recorder<String>()
        let (w, t) = f.worker(.init(concurrency: 2)) { ctx in done.add(ctx.job.id); return nil }
        _ = try await f.queue.add("a", json: "1")
        try await eventually("first") { done.count == 1 }
        try await f.queue.pause()
        assertTrue(try await f.queue.isPaused())
        _ = try await f.queue.add("a", json: "2")
        _ = try await f.queue.add("a", json: "3")
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(done.count, 1)
        assertEqual(try await f.queue.counts()["paused"], 2)
        try await f.queue.resume()
        assertFalse(try await f.queue.isPaused())
        try await eventually("rest") { done.count == 3 }
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testRateLimit() async throws {
        let f = try QueueFixture()
        let starts = Recorder<Int64>()
        _ = try await f.queue.addBulk((0..<12).map { ("r", "\($0)", JobOptions()) })
        let (w, t) = f.worker(.init(concurrency: 10, limiter: (max: 4, durationMs: 400))) { _ in
            starts.add(nowMs())
            return nil
        }
        try await eventually("all done") { try await f.queue.counts()["completed"] == 12 }
        let st = starts.all.sorted()
        // 12 jobs at 4 per 400ms: three windows
        XCTAssertGreaterThanOrEqual(st.last! - st.first!, 750)
        for (i, s) in st.enumerated() {
            let inWindow = st[i...].filter { $0 < s + 350 }.count
            XCTAssertLessThanOrEqual(inWindow, 4, "more than 4 starts within 350ms from \(s)")
        }
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testGlobalRateLimit() async throws {
        let f = try QueueFixture()
        try await f.queue.setGlobalRateLimit(max: 3, durationMs: 300)
        let starts = Recorder<Int64>()
        _ = try await f.queue.addBulk((0..<6).map { ("r", "\($0)", JobOptions()) })
        let (w, t) = f.worker(.init(concurrency: 6)) { _ in starts.add(nowMs()); return nil }
        try await eventually("all done") { try await f.queue.counts()["completed"] == 6 }
        let st = starts.all.sorted()
        XCTAssertGreaterThanOrEqual(st.last! - st.first!, 250)
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testProgress() async throws {
        let f = try QueueFixture()
        let id = try await f.queue.add("p", json: "{}")
        let (w, t) = f.worker { ctx in
            try await ctx.updateProgress(40)
            try await ctx.updateProgress(100)
            return nil
        }
        try await eventually("done") { try await f.queue.job(id)?.state == .completed }
        assertEqual(try await f.queue.job(id)?.progress, "100")
        let events = try await f.redis.send(["XRANGE", .string("bull:\(f.name):events"), "-", "+"])
        XCTAssertTrue(events.description.contains("progress"))
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testConcurrencyRespected() async throws {
        let f = try QueueFixture()
        let gauge = Gauge()
        _ = try await f.queue.addBulk((0..<24).map { ("c", "\($0)", JobOptions()) })
        let (w, t) = f.worker(.init(concurrency: 4)) { _ in
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(for: .milliseconds(60))
            return nil
        }
        try await eventually("done") { try await f.queue.counts()["completed"] == 24 }
        XCTAssertEqual(gauge.max, 4)
        await w.close()
        try await t.value
        await f.tearDown()
    }

    func testTwoWorkersShareTheQueue() async throws {
        let f = try QueueFixture()
        let byWorker = Recorder<String>()
        let (w1, t1) = f.worker(.init(concurrency: 3)) { _ in
            byWorker.add("1")
            try await Task.sleep(for: .milliseconds(5))
            return nil
        }
        let (w2, t2) = f.worker(.init(concurrency: 3)) { _ in
            byWorker.add("2")
            try await Task.sleep(for: .milliseconds(5))
            return nil
        }
        _ = try await f.queue.addBulk((0..<200).map { ("c", "\($0)", JobOptions()) })
        try await eventually("done") { try await f.queue.counts()["completed"] == 200 }
        XCTAssertEqual(byWorker.count, 200)
        XCTAssertGreaterThan(byWorker.all.filter { $0 == "1" }.count, 20)
        XCTAssertGreaterThan(byWorker.all.filter { $0 == "2" }.count, 20)
        await w1.close()
        await w2.close()
        try await t1.value
        try await t2.value
        await f.tearDown()
    }
}
