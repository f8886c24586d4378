import Logging
import NIOCore
import Synchronization

/// A message received on a subscribed channel.
public struct RedisPubSubMessage: Sendable, Hashable {
    public let channel: String
    /// The matching pattern for `PSUBSCRIBE` messages.
    public let pattern: String?
    public let payload: [UInt8]

    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload decoded as UTF-8.
    public var string: String { String(decoding: payload, as: UTF8.self) }

    /// Recognises `["message", channel, payload]` and `["pmessage", pattern, channel, payload]`.
    init?(_ value: RedisValue) {
        guard case .array(let a) = value, a.count >= 3, case .bulkString(let kind) = a[0] else { return nil }
        if a.count == 3, kind.elementsEqual("message".utf8) {
            self.init(channel: a[1].string ?? "", payload: a[2].bytes ?? [])
        } else if a.count == 4, kind.elementsEqual("pmessage".utf8) {
            self.init(channel: a[2].string ?? "", pattern: a[1].string, payload: a[3].bytes ?? [])
        } else {
            return nil
        }
    }
}

/// Messages of a pub/sub subscription, on a connection of its own.
///
/// `for try await message in subscription { ... }`. One consumer at a time. If the
/// connection drops, the subscription reconnects (with backoff) and subscribes again to
/// the current channels and patterns; messages published in between are lost. The
/// sequence ends when `close()` is called (or the consuming task stops iterating).
public final class RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage
    public typealias AsyncIterator = AsyncThrowingStream<RedisPubSubMessage, any Error>.Iterator

    private struct State {
        var channels: Set<String>
        var patterns: Set<String>
        var connection: RedisConnection?
        var closed = false
        var failures = 0
        var onClose: (@Sendable () -> Void)?
    }

    private let stream: AsyncThrowingStream<RedisPubSubMessage, any Error>
    private let continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation
    private let state: Mutex<State>
    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    init(
        configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
        channels: [String], patterns: [String]
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        (self.stream, self.continuation) = AsyncThrowingStream.makeStream(of: RedisPubSubMessage.self)
        self.state = Mutex(State(channels: Set(channels), patterns: Set(patterns)))
        self.continuation.onTermination = { [weak self] _ in self?.closeNow() }
    }

    public func makeAsyncIterator() -> AsyncIterator { stream.makeAsyncIterator() }

    public var channels: Set<String> { state.withLock { $0.channels } }
    public var patterns: Set<String> { state.withLock { $0.patterns } }

    var onClose: (@Sendable () -> Void)? {
        get { state.withLock { $0.onClose } }
        set { state.withLock { $0.onClose = newValue } }
    }

    func start() async throws {
        try await connectAndSubscribe()
    }

    private func connectAndSubscribe() async throws {
        let continuation = self.continuation
        let conn = try await RedisConnection.connect(
            configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger,
            closeOnCancel: false, commandTimeout: nil,
            pushHandler: { message in continuation.yield(message) })
        do {
            let (channels, patterns) = state.withLock { ($0.channels, $0.patterns) }
            if !channels.isEmpty { try await Self.confirm(conn, "SUBSCRIBE", Array(channels)) }
            if !patterns.isEmpty { try await Self.confirm(conn, "PSUBSCRIBE", Array(patterns)) }
        } catch {
            await conn.close()
            throw error
        }
        let installed = state.withLock { s -> Bool in
            if s.closed { return false }
            s.connection = conn
            s.failures = 0
            return true
        }
        guard installed else {
            await conn.close()
            return
        }
        conn.closeFuture.whenComplete { [weak self] _ in self?.connectionLost(conn) }
    }

    private static func confirm(_ conn: RedisConnection, _ command: String, _ names: [String]) async throws {
        let cmd: [RedisArgument] = [.string(command)] + names.map(RedisArgument.string)
        let replies = try await conn.sendExpecting(.one(cmd), replies: names.count)
        for r in replies {
            if case .error(let e) = r { throw e }
        }
    }

    private func connectionLost(_ conn: RedisConnection) {
        let reconnect = state.withLock { s -> Bool in
            guard !s.closed, s.connection === conn else { return false }
            s.connection = nil
            return true
        }
        guard reconnect else { return }
        logger.info("redis subscription connection lost; resubscribing", metadata: ["redis.connection": "\(conn.id)"])
        Task { await self.reconnectLoop() }
    }

    private func reconnectLoop() async {
        while true {
            let (closed, failures) = state.withLock { s -> (Bool, Int) in
                s.failures += 1
                return (s.closed, s.failures)
            }
            if closed { return }
            let shift = Swift.min(failures - 1, 20)
            let ns = Swift.min(configuration.reconnectBackoffMin.nanoseconds << shift, configuration.reconnectBackoffMax.nanoseconds)
            try? await Task.sleep(nanoseconds: UInt64(ns))
            if state.withLock({ $0.closed }) { return }
            do {
                try await connectAndSubscribe()
                return
            } catch {
                logger.warning("redis subscription reconnect failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Adds channels.
    public func subscribe(_ channels: [String]) async throws {
        try await change("SUBSCRIBE", channels) { $0.channels.formUnion(channels) }
    }

    /// Removes channels.
    public func unsubscribe(_ channels: [String]) async throws {
        try await change("UNSUBSCRIBE", channels) { $0.channels.subtract(channels) }
    }

    /// Adds glob patterns.
    public func psubscribe(_ patterns: [String]) async throws {
        try await change("PSUBSCRIBE", patterns) { $0.patterns.formUnion(patterns) }
    }

    /// Removes glob patterns.
    public func punsubscribe(_ patterns: [String]) async throws {
        try await change("PUNSUBSCRIBE", patterns) { $0.patterns.subtract(patterns) }
    }

    /// Records the new set (a reconnect subscribes to it) and tells the
    /// live connection, if there is one.
    private func change(_ command: String, _ names: [String], _ update: (inout State) -> Void) async throws {
        let conn = state.withLock { s -> RedisConnection? in
            update(&s)
            return s.connection
        }
        if let conn, !names.isEmpty { try await Self.confirm(conn, command, names) }
    }

    /// Closes the connection and ends the message sequence.
    public func close() async {
        let conn = closeNow()
        if let conn { await conn.close() }
    }

    @discardableResult
    private func closeNow() -> RedisConnection? {
        let (conn, onClose, wasClosed) = state.withLock { s -> (RedisConnection?, (@Sendable () -> Void)?, Bool) in
            let was = s.closed
            s.closed = true
            let c = s.connection
            s.connection = nil
            let cb = s.onClose
            s.onClose = nil
            return (c, cb, was)
        }
        if wasClosed { return nil }
        conn?.channel.close(promise: nil)
        continuation.finish()
        onClose?()
        return conn
    }
}
