import Foundation
import Redis

/// The queue's Lua scripts (`Lua/*.lua`), each prefixed with `Lua/common.lua`.
/// Every script gets the same `KEYS` (see `QueueKeys.all`) and `ARGV[1]` = key
/// prefix, `ARGV[2]` = now in ms.
struct QueueScripts: Sendable {
    let add: RedisScript
    let fetch: RedisScript
    let complete: RedisScript
    let fail: RedisScript
    let extendLocks: RedisScript
    let stalled: RedisScript
    let release: RedisScript
    let retry: RedisScript
    let pause: RedisScript
    let progress: RedisScript
    let state: RedisScript
    let counts: RedisScript

    static let shared: QueueScripts = {
        let common = source("common")
        func script(_ name: String) -> RedisScript { RedisScript(common + "\n" + source(name)) }
        return QueueScripts(
            add: script("add"), fetch: script("fetch"), complete: script("complete"), fail: script("fail"),
            extendLocks: script("extendLocks"), stalled: script("stalled"), release: script("release"),
            retry: script("retry"), pause: script("pause"), progress: script("progress"),
            state: script("state"), counts: script("counts"))
    }()

    private static func source(_ name: String) -> String {
        RedisScript.bundledSource(name, in: .module, subdirectory: "Lua")
    }
}

/// Key names of one queue, BullMQ layout: `<prefix>:<queue>:<suffix>`.
struct QueueKeys: Sendable {
    let prefix: String  // "bull:<queue>:"
    let all: [String]
    let wait: String, active: String, prioritized: String, delayed: String
    let completed: String, failed: String, paused: String, meta: String
    let id: String, events: String, marker: String, pc: String
    let limiter: String, stalled: String, stalledCheck: String

    init(queue: String, prefix: String) {
        let p = "\(prefix):\(queue):"
        self.prefix = p
        wait = p + "wait"; active = p + "active"; prioritized = p + "prioritized"; delayed = p + "delayed"
        completed = p + "completed"; failed = p + "failed"; paused = p + "paused"; meta = p + "meta"
        id = p + "id"; events = p + "events"; marker = p + "marker"; pc = p + "pc"
        limiter = p + "limiter"; stalled = p + "stalled"; stalledCheck = p + "stalled-check"
        all = [wait, active, prioritized, delayed, completed, failed, paused, meta,
               id, events, marker, pc, limiter, stalled, stalledCheck]
    }

    func job(_ id: String) -> String { prefix + id }
}

/// Runs queue scripts: EVALSHA with fallback, and pipelined batches.
struct ScriptRunner: Sendable {
    let redis: RedisClient
    let keys: QueueKeys

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    func args(_ tail: [RedisArgument], now: Int64 = nowMs()) -> [RedisArgument] {
        [.string(keys.prefix), RedisArgument(now)] + tail
    }

    func run(_ script: RedisScript, _ tail: [RedisArgument]) async throws -> RedisValue {
        try await redis.run(script, keys: keys.all, args: args(tail))
    }

    /// Several calls of one script in one pipeline; scripts missing from the
    /// server's cache are loaded and those calls sent again (NOSCRIPT means not run).
    func runBatch(_ script: RedisScript, _ tails: [[RedisArgument]]) async throws -> [RedisValue] {
        if tails.isEmpty { return [] }
        let head: [RedisArgument] = ["EVALSHA", .string(script.sha1), RedisArgument(keys.all.count)]
            + keys.all.map(RedisArgument.string)
        let now = Self.nowMs()
        var replies = try await redis.pipeline(tails.map { head + args($0, now: now) })
        let missing = replies.indices.filter { replies[$0].errorValue?.serverErrorCode == "NOSCRIPT" }
        if !missing.isEmpty {
            try await redis.scriptLoad(script.source)
            let again = try await redis.pipeline(missing.map { head + args(tails[$0], now: now) })
            for (i, r) in zip(missing, again) { replies[i] = r }
        }
        return replies
    }
}
