import Foundation
import Redis
import TestSupport
import XCTest

/// Integration tests against a real Redis: `REDIS_URL` (default redis://127.0.0.1:6379).
/// Every test uses its own key prefix, so suites may run in parallel against one server.
final class RedisClientTests: XCTestCase {
    static var url: String { ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379" }

    var prefix = ""
    var client: RedisClient!

    override func setUp() async throws {
        prefix = "test:\(UUID().uuidString):"
        client = try RedisClient(url: Self.url)
    }

    override func tearDown() async throws {
        if let client {
            if let keys = try? await client.send(["KEYS", .string(prefix + "*")]).array?.compactMap(\.string), !keys.isEmpty {
                _ = try? await client.del(keys)
            }
            await client.close()
        }
        client = nil
    }

    func key(_ name: String) -> String { prefix + name }

    // MARK: replies

    func testTypedReplies() async throws {
        assertEqual(try await client.send("PING"), .simpleString("PONG"))
        assertEqual(try await client.send("SET", .string(key("s")), "hello"), .simpleString("OK"))
        assertEqual(try await client.send("GET", .string(key("s"))), .bulkString(Array("hello".utf8)))
        assertEqual(try await client.send("GET", .string(key("missing"))), .null)
        assertTrue(try await client.send("GET", .string(key("missing"))).isNull)
        assertEqual(try await client.send("INCR", .string(key("n"))), .integer(1))
        assertEqual(try await client.send("INCRBY", .string(key("n")), 41).int, 42)
        assertEqual(try await client.send("SET", .string(key("empty")), ""), .simpleString("OK"))
        assertEqual(try await client.send("GET", .string(key("empty"))), .bulkString([]))
        assertEqual(try await client.send("LRANGE", .string(key("nolist")), 0, -1), .array([]))

        // nested arrays with nil inside (Lua false -> nil)
        let nested = try await client.eval("return {1, 'a', {2, {'b', false}}, false}")
        XCTAssertEqual(
            nested,
            .array([
                .integer(1), .bulkString(Array("a".utf8)),
                .array([.integer(2), .array([.bulkString(Array("b".utf8)), .null])]),
                .null,
            ]))
        let withNil = try await client.send("MGET", .string(key("s")), .string(key("missing")), .string(key("n")))
        XCTAssertEqual(withNil.array?.count, 3)
        XCTAssertEqual(withNil.array?[0].string, "hello")
        XCTAssertEqual(withNil.array?[1], .null)
        XCTAssertEqual(withNil.array?[2].int, 42)

        // status vs error vs raw error value
        let raw = try await client.sendRaw(["LPUSH", .string(key("s")), "x"])
        guard case .error(.server(let message)) = raw else { return XCTFail("expected error value, got \(raw)") }
        XCTAssertTrue(message.hasPrefix("WRONGTYPE"), message)
        XCTAssertEqual(raw.errorValue?.serverErrorCode, "WRONGTYPE")
    }

    func testBinarySafeBulkStrings() async throws {
        let bytes: [UInt8] = [0, 13, 10, 0xFF, 0, 65, 13, 10, 36, 45, 49, 13, 10] + Array(0...255)
        assertTrue(try await client.set(key("bin"), bytes: bytes))
        assertEqual(try await client.getBytes(key("bin")), bytes)
        // binary key too
        let binKey: [UInt8] = Array(key("k\r\n\0").utf8)
        _ = try await client.send(["SET", .bytes(binKey), .bytes(bytes)])
        assertEqual(try await client.send(["GET", .bytes(binKey)]), .bulkString(bytes))
        _ = try await client.send(["DEL", .bytes(binKey)])
        // a large value split over many reads
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await client.set(key("big"), bytes: big)
        assertEqual(try await client.getBytes(key("big")), big)
        // unicode
        try await client.set(key("u"), "héllo wörld ✓ \r\n end")
        assertEqual(try await client.get(key("u")), "héllo wörld ✓ \r\n end")
    }

    func testAggregateReplies() async throws {
        // empty, nested-empty and deeply nested arrays, nil inside arrays, integers, errors in arrays
        let v = try await client.eval("return {1, {}, {{}}, {{{'deep'}}}, 'x', false, -7}")
        XCTAssertEqual(
            v,
            .array([
                .integer(1), .array([]), .array([.array([])]),
                .array([.array([.array([.bulkString(Array("deep".utf8))])])]),
                .bulkString(Array("x".utf8)), .null, .integer(-7),
            ]))
        assertEqual(try await client.eval("return {}"), .array([]))
        let withError = try await client.eval("return {1, redis.error_reply('MYERR boom'), 'ok'}")
        XCTAssertEqual(withError.array?.count, 3)
        XCTAssertEqual(withError.array?[1], .error(.server("MYERR boom")))
        XCTAssertEqual(withError.array?[2].string, "ok")
        // a nil multi-bulk (*-1): BLPOP timing out
        let conn = try await RedisConnection.connect(configuration: try RedisConfiguration(url: Self.url))
        assertEqual(try await conn.send(["BLPOP", .string(key("nolist")), "0.01"]), .null)
        await conn.close()

        // large arrays and nested arrays that arrive over many reads, interleaved with small replies
        let items = (0..<20_000).map { "item-\($0)-" + String(repeating: "z", count: $0 % 50) }
        for chunk in stride(from: 0, to: items.count, by: 1000) {
            try await client.rpush(key("list"), Array(items[chunk..<min(chunk + 1000, items.count)]))
        }
        let replies = try await client.pipeline([
            ["LRANGE", .string(key("list")), "0", "-1"],
            ["PING"],
            ["EVAL", "local r = {} for i = 1, 3000 do r[i] = {i, tostring(i), {i}} end return r", "0"],
            ["LLEN", .string(key("list"))],
        ])
        XCTAssertEqual(replies.count, 4)
        XCTAssertEqual(replies[0].array?.compactMap(\.string), items)
        XCTAssertEqual(replies[1], .simpleString("PONG"))
        let nested = try XCTUnwrap(replies[2].array)
        XCTAssertEqual(nested.count, 3000)
        for (i, e) in nested.enumerated() {
            XCTAssertEqual(e, .array([.integer(Int64(i + 1)), .bulkString(Array(String(i + 1).utf8)), .array([.integer(Int64(i + 1))])]))
        }
        XCTAssertEqual(replies[3], .integer(20_000))
    }

    func testServerErrorIsThrown() async throws {
        try await client.set(key("str"), "x")
        do {
            _ = try await client.send(["LPUSH", .string(key("str")), "y"])
            XCTFail("expected an error")
        } catch let error as RedisError {
            guard case .server(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.hasPrefix("WRONGTYPE"))
        }
        do {
            _ = try await client.send("NOSUCHCOMMAND", "a")
            XCTFail("expected an error")
        } catch RedisError.server(let m) {
            XCTAssertTrue(m.hasPrefix("ERR"), m)
        }
        do {
            _ = try await client.incr(key("str"))
            XCTFail("expected an error")
        } catch RedisError.server(let m) {
            XCTAssertTrue(m.contains("not an integer"), m)
        }
        // the connection is still fine afterwards
        assertEqual(try await client.ping(), "PONG")
    }

    // MARK: pipelining + concurrency

    func testPipelineOf1000KeepsOrder() async throws {
        var commands: [[RedisArgument]] = []
        for i in 0..<1000 {
            switch i % 3 {
            case 0: commands.append(["SET", .string(key("p\(i)")), .string("v\(i)")])
            case 1: commands.append(["ECHO", .string("e\(i)")])
            default: commands.append(["INCRBY", .string(key("counter")), RedisArgument(i)])
            }
        }
        let replies = try await client.pipeline(commands)
        XCTAssertEqual(replies.count, 1000)
        var sum: Int64 = 0
        for (i, r) in replies.enumerated() {
            switch i % 3 {
            case 0: XCTAssertEqual(r, .simpleString("OK"))
            case 1: XCTAssertEqual(r.string, "e\(i)")
            default:
                sum += Int64(i)
                XCTAssertEqual(r, .integer(sum))
            }
        }
        // an error in the middle of a pipeline is a value; the rest still arrives
        let mixed = try await client.pipeline([
            ["SET", .string(key("m")), "1"], ["LPUSH", .string(key("m")), "x"], ["GET", .string(key("m"))],
        ])
        XCTAssertEqual(mixed[0], .simpleString("OK"))
        XCTAssertEqual(mixed[1].errorValue?.serverErrorCode, "WRONGTYPE")
        XCTAssertEqual(mixed[2].string, "1")
        assertEqual(try await client.pipeline([[RedisArgument]]()), [])
        // [String] overload
        let strs = try await client.pipeline([["ECHO", "a"], ["ECHO", "b"]])
        XCTAssertEqual(strs.map(\.string), ["a", "b"])
    }

    func testConcurrentUseFrom50Tasks() async throws {
        let client = self.client!
        let prefix = self.prefix
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<50 {
                group.addTask {
                    for i in 0..<100 {
                        try await client.incr(prefix + "shared")
                        try await client.set(prefix + "t\(t)", "\(i)")
                        let v = try await client.get(prefix + "t\(t)")
                        XCTAssertEqual(v, "\(i)")
                    }
                }
            }
            try await group.waitForAll()
        }
        assertEqual(try await client.get(key("shared")), "5000")
    }

    // MARK: configuration, AUTH, SELECT

    func testURLParsing() throws {
        var c = try RedisConfiguration(url: "redis://:s3cr%40t@cache.internal:6380/3")
        XCTAssertEqual(c.host, "cache.internal")
        XCTAssertEqual(c.port, 6380)
        XCTAssertNil(c.username)
        XCTAssertEqual(c.password, "s3cr@t")
        XCTAssertEqual(c.database, 3)
        XCTAssertEqual(c.redactedURL, "redis://:***@cache.internal:6380/3")

        c = try RedisConfiguration(url: "redis://app:pw@10.0.0.1")
        XCTAssertEqual(c.username, "app")
        XCTAssertEqual(c.password, "pw")
        XCTAssertEqual(c.port, 6379)
        XCTAssertEqual(c.database, 0)

        c = try RedisConfiguration(url: "redis://localhost")
        XCTAssertEqual(c.host, "localhost")
        XCTAssertNil(c.password)

        c = try RedisConfiguration(url: "redis://[::1]:7000/2?poolSize=9")
        XCTAssertEqual(c.host, "::1")
        XCTAssertEqual(c.port, 7000)
        XCTAssertEqual(c.database, 2)
        XCTAssertEqual(c.poolSize, 9)

        c = try RedisConfiguration(url: "redis://h:1?db=5")
        XCTAssertEqual(c.database, 5)

        XCTAssertThrowsError(try RedisConfiguration(url: "http://x"))
        XCTAssertThrowsError(try RedisConfiguration(url: "redis://h:notaport"))
        XCTAssertThrowsError(try RedisConfiguration(url: "redis://h/db"))
        XCTAssertThrowsError(try RedisConfiguration(url: "localhost:6379"))
    }

    func testAuthAndSelectFromURL() async throws {
        var config = try RedisConfiguration(url: Self.url)
        let dbA = config.database == 3 ? 3 : (config.database == 0 ? 3 : config.database)
        let dbB = dbA == 0 ? 3 : 0
        config.database = dbA
        let a = RedisClient(configuration: config)
        config.database = dbB
        let b = RedisClient(configuration: config)
        try await a.set(key("db"), "in \(dbA)")
        assertEqual(try await a.get(key("db")), "in \(dbA)")
        assertNil(try await b.get(key("db")), "key set in db \(dbA) must not be visible in db \(dbB)")
        let info = try await a.send("CLIENT", "INFO").string ?? ""
        XCTAssertTrue(info.contains("db=\(dbA)"), info)
        try await a.del(key("db"))
        await a.close()
        await b.close()
    }

    func testWrongPasswordGivesClearError() async throws {
        var config = try RedisConfiguration(url: Self.url)
        config.password = "wrong-\(UUID().uuidString)"
        let bad = RedisClient(configuration: config)
        do {
            _ = try await bad.ping()
            XCTFail("expected authentication failure")
        } catch RedisError.authenticationFailed(let message) {
            XCTAssertFalse(message.isEmpty)
        }
        // stays failing (backoff) with the same clear error, never hangs
        do {
            _ = try await bad.ping()
            XCTFail("expected authentication failure")
        } catch RedisError.authenticationFailed {
        }
        await bad.close()
        do {
            _ = try await bad.ping()
            XCTFail("expected clientClosed")
        } catch RedisError.clientClosed {
        }
    }

    func testConnectionRefusedGivesClearError() async throws {
        let port = try freePort()
        let c = try RedisClient(url: "redis://127.0.0.1:\(port)")
        do {
            _ = try await c.ping()
            XCTFail("expected connection failure")
        } catch RedisError.connectionFailed(let message) {
            XCTAssertTrue(message.contains("127.0.0.1:\(port)"), message)
        }
        await c.close()
    }

    // MARK: helpers

    func testCommandHelpers() async throws {
        assertTrue(try await client.set(key("a"), "1", expiration: .seconds(100)))
        assertFalse(try await client.set(key("a"), "2", condition: .ifNotExists))
        assertEqual(try await client.get(key("a")), "1")
        assertFalse(try await client.set(key("b"), "2", condition: .ifExists))
        assertTrue(try await client.set(key("b"), "2", expiration: .milliseconds(100_000), condition: .ifNotExists))
        let ttl = try await client.ttl(key("a"))
        XCTAssertTrue((90...100).contains(ttl), "\(ttl)")
        assertEqual(try await client.ttl(key("nope")), -2)
        assertTrue(try await client.expire(key("b"), seconds: 50))
        assertEqual(try await client.exists(key("a"), key("b"), key("c")), 2)
        assertEqual(try await client.del(key("a"), key("c")), 1)
        assertEqual(try await client.incr(key("i")), 1)
        assertEqual(try await client.incrBy(key("i"), 9), 10)
        assertEqual(try await client.decr(key("i")), 9)

        assertEqual(try await client.hset(key("h"), "f1", "v1"), 1)
        assertEqual(try await client.hset(key("h"), fields: ["f2": "v2", "f3": "v3"]), 2)
        assertEqual(try await client.hget(key("h"), "f2"), "v2")
        assertNil(try await client.hget(key("h"), "zz"))
        assertEqual(try await client.hgetall(key("h")), ["f1": "v1", "f2": "v2", "f3": "v3"])
        assertEqual(try await client.hincrBy(key("h"), "n", 5), 5)
        assertEqual(try await client.hdel(key("h"), "f1", "n"), 2)

        assertEqual(try await client.sadd(key("set"), "a", "b", "c", "a"), 3)
        assertEqual(Set(try await client.smembers(key("set"))), ["a", "b", "c"])
        assertTrue(try await client.sismember(key("set"), "b"))
        assertEqual(try await client.srem(key("set"), "b"), 1)
        assertEqual(try await client.scard(key("set")), 2)

        assertEqual(try await client.zadd(key("z"), score: 2, member: "two"), 1)
        assertEqual(try await client.zadd(key("z"), [(1, "one"), (3.5, "three")]), 2)
        assertEqual(try await client.zrange(key("z"), start: 0, stop: -1), ["one", "two", "three"])
        assertEqual(try await client.zrangeByScore(key("z"), min: "(1", max: "+inf"), ["two", "three"])
        assertEqual(try await client.zscore(key("z"), "three"), 3.5)
        assertNil(try await client.zscore(key("z"), "none"))
        assertEqual(try await client.zcard(key("z")), 3)

        assertEqual(try await client.rpush(key("l"), "b", "c"), 2)
        assertEqual(try await client.lpush(key("l"), "a"), 3)
        assertEqual(try await client.lrange(key("l"), 0, -1), ["a", "b", "c"])
        assertEqual(try await client.lpop(key("l")), "a")
        assertEqual(try await client.rpop(key("l")), "c")
        assertEqual(try await client.llen(key("l")), 1)
        assertEqual(try await client.mget([key("b"), key("none")]), ["2", nil])
    }

    // MARK: Lua

    func testScriptSha1MatchesServer() async throws {
        let script = RedisScript("return redis.call('GET', KEYS[1])")
        assertEqual(try await client.scriptLoad(script.source), script.sha1)
        XCTAssertEqual(RedisScript("").sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    func testEvalshaFallsBackToEvalOnNoscript() async throws {
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) + \(Int.random(in: 0..<1_000_000)) * 0")
        assertEqual(try await client.run(script, keys: [key("lua")], args: ["5"]), .integer(5))
        // now cached: EVALSHA works directly
        assertEqual(try await client.evalsha(script.sha1, keys: [key("lua")], args: ["1"]), .integer(6))
        _ = try await client.send("SCRIPT", "FLUSH")
        do {
            _ = try await client.evalsha(script.sha1, keys: [key("lua")], args: ["1"])
            XCTFail("expected NOSCRIPT")
        } catch let e as RedisError {
            XCTAssertEqual(e.serverErrorCode, "NOSCRIPT")
        }
        assertEqual(try await client.run(script, keys: [key("lua")], args: ["4"]), .integer(10))
        // script errors are thrown, not retried
        do {
            _ = try await client.run(RedisScript("return redis.call('NOPE')"))
            XCTFail("expected a script error")
        } catch RedisError.server {
        }
    }

    // MARK: blocking commands

    func testBlockingPopOnDedicatedConnectionDoesNotDelayOthers() async throws {
        var config = try RedisConfiguration(url: Self.url)
        config.poolSize = 1  // a single shared connection: BLPOP on it would stall everything
        let client = RedisClient(configuration: config)
        let queue = key("queue")
        let popper = Task { try await client.blpop([queue], timeout: 10) }
        try await Task.sleep(nanoseconds: 100_000_000)
        let start = ContinuousClock.now
        for i in 0..<200 {
            try await client.set(key("x"), "\(i)")
        }
        assertEqual(try await client.get(key("x")), "199")
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .seconds(2), "shared connection was blocked for \(elapsed)")
        try await client.rpush(queue, "job-1")
        let popped = try await popper.value
        XCTAssertEqual(popped?.key, queue)
        XCTAssertEqual(popped?.value, "job-1")
        // timeout → nil
        assertNil(try await client.blpop([key("empty")], timeout: 0.1))
        // dedicated connection with helpers
        let n = try await client.withDedicatedConnection { conn -> Int in
            try await conn.rpush(queue, "a", "b")
            return try await conn.llen(queue)
        }
        XCTAssertEqual(n, 2)
        assertEqual(try await client.brpoplpush(queue, key("dst"), timeout: 1), "b")
        try await client.zadd(key("zq"), score: 7, member: "m")
        let z = try await client.bzpopmin([key("zq")], timeout: 1)
        XCTAssertEqual(z?.member, "m")
        XCTAssertEqual(z?.score, 7)
        await client.close()
    }

    func testCancellingBlockingCommandClosesItsConnection() async throws {
        let popper = Task { [client, prefix] in try await client!.blpop([prefix + "never"], timeout: 0) }
        try await Task.sleep(nanoseconds: 100_000_000)
        popper.cancel()
        do {
            _ = try await popper.value
            XCTFail("expected an error")
        } catch {}
        assertEqual(try await client.ping(), "PONG")
    }

    // MARK: pub/sub

    func testPubSub() async throws {
        let channel = key("chan")
        let sub = try await client.subscribe(channels: [channel])
        let receiver = Task { () -> [String] in
            var got: [String] = []
            for try await m in sub {
                XCTAssertEqual(m.channel, channel)
                got.append(m.string)
                if got.count == 3 { break }
            }
            return got
        }
        assertEqual(try await client.publish(channel, "one"), 1)
        try await client.publish(channel, bytes: Array("two\r\n\0".utf8))
        try await client.publish(channel, "three")
        let got = try await receiver.value
        XCTAssertEqual(got, ["one", "two\r\n\0", "three"])
        await sub.close()
        assertEqual(try await client.publish(channel, "nobody"), 0)

        // patterns
        let psub = try await client.psubscribe(patterns: [key("news.*")])
        try await psub.subscribe([key("plain")])
        try await client.publish(key("news.sport"), "goal")
        try await client.publish(key("plain"), "hi")
        var iterator = psub.makeAsyncIterator()
        let m1 = try await iterator.next()
        XCTAssertEqual(m1?.channel, key("news.sport"))
        XCTAssertEqual(m1?.pattern, key("news.*"))
        XCTAssertEqual(m1?.string, "goal")
        let m2 = try await iterator.next()
        XCTAssertEqual(m2?.channel, key("plain"))
        XCTAssertNil(m2?.pattern)
        try await psub.unsubscribe([key("plain")])
        assertEqual(try await client.publish(key("plain"), "x"), 0)
        await psub.close()
        let end = try await iterator.next()
        XCTAssertNil(end)
    }

    // MARK: timeouts

    func testCommandTimeoutClosesConnection() async throws {
        var config = try RedisConfiguration(url: Self.url)
        config.commandTimeout = .milliseconds(200)
        config.poolSize = 1
        let c = RedisClient(configuration: config)
        do {
            _ = try await c.send("DEBUG", "SLEEP", "1")
            XCTFail("expected timeout")
        } catch RedisError.timeout {
        } catch RedisError.server(let m) {
            throw XCTSkip("DEBUG not allowed on this server: \(m)")
        }
        // the pool replaces the connection
        try await Task.sleep(nanoseconds: 1_000_000_000)
        assertEqual(try await c.ping(), "PONG")
        await c.close()
    }
}

// MARK: - helpers

