import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A pool of `poolSize` multiplexed connections, used round-robin and created lazily.
///
/// Any number of tasks may call it at once; commands from concurrent callers share
/// connections (pipelined). A connection that died (server restart, network error) is
/// replaced on next use, with a growing backoff after failed connects, so the client
/// recovers by itself after `redis-server` comes back. Commands that were in flight on
/// a dead connection fail with `RedisError.connectionClosed` (they are not retried,
/// since they may have been executed).
///
/// Blocking commands (BLPOP, BRPOPLPUSH, BZPOPMIN, XREAD BLOCK...) must not run on the
/// shared connections: use `withDedicatedConnection` or the blocking helpers on this
/// type, which do that for you. Pub/sub uses its own connection: `subscribe(channels:)`.
public final class RedisClient: RedisCommandExecutor, Sendable {
    public let configuration: RedisConfiguration
    public let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    private struct Slot {
        var connection: RedisConnection?
        var connecting: Task<RedisConnection, any Error>?
        var failures = 0
        var retryAfter: NIODeadline?
        var lastError: RedisError?
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var closed = false
        var idleDedicated: [RedisConnection] = []
        var dedicatedInUse: [Int: RedisConnection] = [:]
        var subscriptions: [ObjectIdentifier: RedisSubscription] = [:]
    }

    private let state: Mutex<State>

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "redis.server"] = "\(configuration.host):\(configuration.port)/\(configuration.database)"
        self.logger = logger
        self.state = Mutex(State(slots: Array(repeating: Slot(), count: configuration.poolSize)))
    }

    /// `RedisClient(url: "redis://:secret@localhost:6379/2")`
    public convenience init(
        url: String,
        poolSize: Int = 4,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis")
    ) throws {
        try self.init(configuration: RedisConfiguration(url: url, poolSize: poolSize), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    // MARK: commands

    nonisolated(nonsending) public func send(_ command: [RedisArgument]) async throws -> RedisValue {
        try await connection().send(command)
    }

    nonisolated(nonsending) public func sendRaw(_ command: [RedisArgument]) async throws -> RedisValue {
        try await connection().sendRaw(command)
    }

    nonisolated(nonsending) public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisValue] {
        if commands.isEmpty { return [] }
        return try await connection().pipeline(commands)
    }

    // MARK: pool

    private enum Checkout {
        case use(RedisConnection)
        case wait(Task<RedisConnection, any Error>)
        case fail(RedisError)
    }

    /// A live shared connection (connecting one if needed). Prefer `send`/`pipeline`.
    nonisolated(nonsending) public func connection() async throws -> RedisConnection {
        let checkout: Checkout = state.withLock { s in
            if s.closed { return .fail(.clientClosed) }
            // A caller running on an event loop (a NIO handler's task) gets a
            // connection of that loop when there is one: no thread hop there
            // and back.
            for slot in s.slots {
                if let c = slot.connection, c.eventLoop.inEventLoop, c.isConnected { return .use(c) }
            }
            let n = s.slots.count
            let i = s.next
            s.next = i + 1 == n ? 0 : i + 1
            if let c = s.slots[i].connection {
                if c.isConnected { return .use(c) }
                s.slots[i].connection = nil
                logger.info("redis connection lost; reconnecting", metadata: ["redis.slot": "\(i)", "redis.connection": "\(c.id)"])
            }
            if s.slots[i].connecting == nil {
                if let retry = s.slots[i].retryAfter, NIODeadline.now() < retry {
                    // in backoff: fall through to other slots
                } else {
                    s.slots[i].connecting = startConnect(slot: i)
                }
            }
            // While slot i (re)connects, use any other live connection.
            for off in 1..<max(n, 1) {
                let j = (i + off) % n
                if let c = s.slots[j].connection, c.isConnected { return .use(c) }
            }
            if let t = s.slots[i].connecting { return .wait(t) }
            for slot in s.slots { if let t = slot.connecting { return .wait(t) } }
            return .fail(s.slots[i].lastError ?? .connectionFailed("no connection available"))
        }
        switch checkout {
        case .use(let c): return c
        case .wait(let t): return try await t.value
        case .fail(let e): throw e
        }
    }

    private func startConnect(slot i: Int) -> Task<RedisConnection, any Error> {
        let configuration = self.configuration
        let loop = eventLoopGroup.next()
        return Task {
            do {
                let c = try await RedisConnection.connect(
                    configuration: configuration, eventLoop: loop, logger: self.logger,
                    closeOnCancel: false, commandTimeout: configuration.commandTimeout, pushHandler: nil)
                let keep = self.state.withLock { s -> Bool in
                    s.slots[i].connecting = nil
                    if s.closed { return false }
                    s.slots[i].connection = c
                    s.slots[i].failures = 0
                    s.slots[i].retryAfter = nil
                    s.slots[i].lastError = nil
                    return true
                }
                if !keep {
                    await c.close()
                    throw RedisError.clientClosed
                }
                return c
            } catch RedisError.clientClosed {
                throw RedisError.clientClosed
            } catch {
                let e = error as? RedisError ?? .connectionFailed("\(error)")
                let backoff = self.state.withLock { s -> TimeAmount in
                    s.slots[i].connecting = nil
                    s.slots[i].failures += 1
                    let shift = min(s.slots[i].failures - 1, 20)
                    let ns = min(configuration.reconnectBackoffMin.nanoseconds << shift, configuration.reconnectBackoffMax.nanoseconds)
                    s.slots[i].retryAfter = .now() + .nanoseconds(ns)
                    s.slots[i].lastError = e
                    return .nanoseconds(ns)
                }
                self.logger.warning(
                    "redis connect failed",
                    metadata: ["redis.slot": "\(i)", "error": "\(e)", "redis.retry_in_ms": "\(backoff.nanoseconds / 1_000_000)"])
                throw e
            }
        }
    }

    // MARK: dedicated connections (blocking commands)

    /// Runs `body` with a connection nobody else uses, for blocking commands
    /// (BLPOP, BRPOPLPUSH, BZPOPMIN, XREAD BLOCK, WATCH/MULTI/EXEC...). The connection
    /// goes back to a small idle cache afterwards; if `body` throws it is closed.
    /// Cancelling the task closes the connection, which unblocks a pending command.
    public func withDedicatedConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RedisConnection) async throws -> sending T
    ) async throws -> sending T {
        let conn = try await checkoutDedicated()
        let result: T
        do {
            result = try await body(conn)
        } catch {
            await releaseDedicated(conn, reusable: false)
            throw error
        }
        await releaseDedicated(conn, reusable: true)
        return result
    }

    private func checkoutDedicated() async throws -> RedisConnection {
        let cached: RedisConnection?? = state.withLock { s in
            if s.closed { return .some(nil) }
            while let c = s.idleDedicated.popLast() {
                if c.isConnected {
                    s.dedicatedInUse[c.id] = c
                    return c
                }
            }
            return nil
        }
        switch cached {
        case .some(.some(let c)): return c
        case .some(.none): throw RedisError.clientClosed
        case .none: break
        }
        let c = try await RedisConnection.connect(
            configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger,
            closeOnCancel: true, commandTimeout: nil, pushHandler: nil)
        let ok = state.withLock { s -> Bool in
            if s.closed { return false }
            s.dedicatedInUse[c.id] = c
            return true
        }
        if !ok {
            await c.close()
            throw RedisError.clientClosed
        }
        return c
    }

    private func releaseDedicated(_ c: RedisConnection, reusable: Bool) async {
        var keep = reusable && c.isConnected
        if keep { keep = ((try? await c.pendingCount()) ?? 1) == 0 }
        let cached = state.withLock { s -> Bool in
            s.dedicatedInUse[c.id] = nil
            if keep, !s.closed, s.idleDedicated.count < configuration.maxIdleDedicatedConnections {
                s.idleDedicated.append(c)
                return true
            }
            return false
        }
        if !cached { await c.close() }
    }

    /// `BLPOP` on a dedicated connection; nil on timeout (`timeout` 0 = forever).
    public func blpop(_ keys: [String], timeout: Double) async throws -> (key: String, value: String)? {
        let r = try await withDedicatedConnection { try await $0.blpop(keys, timeout: timeout).map { [$0.key, $0.value] } }
        return r.map { ($0[0], $0[1]) }
    }

    /// `BRPOP` on a dedicated connection.
    public func brpop(_ keys: [String], timeout: Double) async throws -> (key: String, value: String)? {
        let r = try await withDedicatedConnection { try await $0.brpop(keys, timeout: timeout).map { [$0.key, $0.value] } }
        return r.map { ($0[0], $0[1]) }
    }

    /// `BRPOPLPUSH` on a dedicated connection.
    public func brpoplpush(_ source: String, _ destination: String, timeout: Double) async throws -> String? {
        try await withDedicatedConnection { try await $0.brpoplpush(source, destination, timeout: timeout) }
    }

    /// `BZPOPMIN` on a dedicated connection.
    public func bzpopmin(_ keys: [String], timeout: Double) async throws -> (key: String, member: String, score: Double)? {
        let r: RedisValue = try await withDedicatedConnection {
            try await $0.send(["BZPOPMIN"] + keys.map(RedisArgument.string) + [RedisArgument(timeout)])
        }
        guard let a = r.array, a.count == 3, let k = a[0].string, let m = a[1].string, let s = a[2].double else { return nil }
        return (k, m, s)
    }

    // MARK: pub/sub

    /// Subscribes on a connection of its own. Iterate the result for messages; it
    /// resubscribes by itself after the connection drops (messages published meanwhile are lost).
    public func subscribe(channels: [String]) async throws -> RedisSubscription {
        try await openSubscription(channels: channels, patterns: [])
    }

    /// `PSUBSCRIBE` (glob patterns) on a connection of its own.
    public func psubscribe(patterns: [String]) async throws -> RedisSubscription {
        try await openSubscription(channels: [], patterns: patterns)
    }

    private func openSubscription(channels: [String], patterns: [String]) async throws -> RedisSubscription {
        let sub = RedisSubscription(
            configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger,
            channels: channels, patterns: patterns)
        let ok = state.withLock { s -> Bool in
            if s.closed { return false }
            s.subscriptions[ObjectIdentifier(sub)] = sub
            return true
        }
        guard ok else { throw RedisError.clientClosed }
        sub.onClose = { [weak self] in
            _ = self?.state.withLock { $0.subscriptions.removeValue(forKey: ObjectIdentifier(sub)) }
        }
        do {
            try await sub.start()
        } catch {
            await sub.close()
            throw error
        }
        return sub
    }

    // MARK: shutdown

    /// Closes every connection (shared, dedicated, subscriptions). Pending commands fail
    /// with `connectionClosed`; later calls throw `clientClosed`.
    public func close() async {
        let (conns, tasks, subs) = state.withLock { s -> ([RedisConnection], [Task<RedisConnection, any Error>], [RedisSubscription]) in
            s.closed = true
            var conns = s.slots.compactMap(\.connection) + s.idleDedicated + Array(s.dedicatedInUse.values)
            let tasks = s.slots.compactMap(\.connecting)
            for i in s.slots.indices { s.slots[i].connection = nil }
            s.idleDedicated = []
            s.dedicatedInUse = [:]
            let subs = Array(s.subscriptions.values)
            s.subscriptions = [:]
            conns.reserveCapacity(conns.count)
            return (conns, tasks, subs)
        }
        for t in tasks { _ = try? await t.value }
        for c in conns { await c.close() }
        for sub in subs { await sub.close() }
    }

    /// Same as `close()`.
    public func shutdown() async { await close() }
}
