import Logging
import NIOCore
import NIOPosix
import Synchronization

private let connectionIDs = Atomic<Int>(0)

/// One TCP connection to Redis. Many commands may be in flight at once (pipelining);
/// replies are matched to commands in order. Safe to use from any task or thread.
public final class RedisConnection: RedisCommandExecutor, Sendable {
    public let id: Int
    public let eventLoop: any EventLoop
    let channel: any Channel
    private let handler: NIOLoopBound<RedisChannelHandler>
    /// If true, cancelling a task waiting on this connection closes it (used for blocking commands).
    let closeOnCancel: Bool
    let logger: Logger

    private init(id: Int, channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>, closeOnCancel: Bool, logger: Logger) {
        self.id = id
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.handler = handler
        self.closeOnCancel = closeOnCancel
        self.logger = logger
    }

    /// Whether the socket is still open.
    public var isConnected: Bool { channel.isActive }

    /// Completes when the connection is closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Opens a connection, then sends AUTH and SELECT as configured.
    ///
    /// - Parameter closeOnCancel: cancelling a task that waits for a reply closes the connection.
    ///   Meant for connections that run blocking commands (BLPOP, XREAD BLOCK...).
    public static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        logger: Logger = Logger(label: "redis"),
        closeOnCancel: Bool = false
    ) async throws -> RedisConnection {
        try await connect(
            configuration: configuration, eventLoop: eventLoop, logger: logger,
            closeOnCancel: closeOnCancel, commandTimeout: configuration.commandTimeout, pushHandler: nil)
    }

    static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        logger baseLogger: Logger,
        closeOnCancel: Bool,
        commandTimeout: TimeAmount?,
        pushHandler: (@Sendable (RedisPubSubMessage) -> Void)?
    ) async throws -> RedisConnection {
        let id = connectionIDs.add(1, ordering: .relaxed).newValue
        var logger = baseLogger
        logger[metadataKey: "redis.connection"] = "\(id)"
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { [logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RedisChannelHandler(logger: logger, commandTimeout: commandTimeout, pushHandler: pushHandler)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            logger.debug("redis connect failed", metadata: ["error": "\(error)", "redis.url": "\(configuration.redactedURL)"])
            throw RedisError.connectionFailed("\(configuration.host):\(configuration.port): \(error)")
        }
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self), eventLoop: channel.eventLoop)
        }.get()
        let connection = RedisConnection(id: id, channel: channel, handler: handler, closeOnCancel: closeOnCancel, logger: logger)
        do {
            if let password = configuration.password {
                var auth: [RedisArgument] = ["AUTH"]
                if let user = configuration.username { auth.append(.string(user)) }
                auth.append(.string(password))
                if case .error(let e) = try await connection.sendRaw(auth) {
                    throw RedisError.authenticationFailed(Self.message(e))
                }
            }
            if configuration.database != 0 {
                if case .error(let e) = try await connection.sendRaw(["SELECT", .string(String(configuration.database))]) {
                    throw RedisError.authenticationFailed("SELECT \(configuration.database): \(Self.message(e))")
                }
            }
        } catch {
            await connection.close()
            throw error
        }
        logger.debug("redis connected", metadata: ["redis.url": "\(configuration.redactedURL)"])
        return connection
    }

    private static func message(_ e: RedisError) -> String {
        if case .server(let m) = e { return m }
        return e.description
    }

    // MARK: commands

    /// Sends one command; an error reply is thrown as `RedisError.server`.
    nonisolated(nonsending) public func send(_ command: [RedisArgument]) async throws -> RedisValue {
        let value = try await sendRaw(command)
        if case .error(let e) = value { throw e }
        return value
    }

    /// Sends one command; error replies are returned as `.error`, not thrown.
    nonisolated(nonsending) public func sendRaw(_ command: [RedisArgument]) async throws -> RedisValue {
        if closeOnCancel {
            return try await withTaskCancellationHandler {
                try await self._send(command)
            } onCancel: {
                self.channel.close(promise: nil)
            }
        }
        return try await _send(command)
    }

    @inline(__always)
    nonisolated(nonsending) private func _send(_ command: [RedisArgument]) async throws -> RedisValue {
        let handler = self.handler
        let loop = self.eventLoop
        return try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<RedisValue, any Error>) in
            if loop.inEventLoop {
                handler.value.submit(.one(command), sink: .single(c))
            } else {
                loop.execute { handler.value.submit(.one(command), sink: .single(c)) }
            }
        }
    }

    /// Sends all commands in one write and returns their replies in order.
    /// Error replies are returned as `.error` values (use `.get()` to throw).
    nonisolated(nonsending) public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisValue] {
        if commands.isEmpty { return [] }
        return try await sendExpecting(.many(commands), replies: commands.count)
    }

    /// Sends commands and collects exactly `replies` replies (SUBSCRIBE a b c → 3 replies).
    nonisolated(nonsending) func sendExpecting(_ commands: RedisCommands, replies: Int) async throws -> [RedisValue] {
        if closeOnCancel {
            return try await withTaskCancellationHandler {
                try await self._sendExpecting(commands, replies: replies)
            } onCancel: {
                self.channel.close(promise: nil)
            }
        }
        return try await _sendExpecting(commands, replies: replies)
    }

    @inline(__always)
    nonisolated(nonsending) private func _sendExpecting(_ commands: RedisCommands, replies: Int) async throws -> [RedisValue] {
        let handler = self.handler
        let loop = self.eventLoop
        return try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<[RedisValue], any Error>) in
            if loop.inEventLoop {
                handler.value.submit(commands, sink: .batch(c, expected: replies))
            } else {
                loop.execute { handler.value.submit(commands, sink: .batch(c, expected: replies)) }
            }
        }
    }

    /// Closes the socket; pending commands fail with `RedisError.connectionClosed`.
    public func close() async {
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
        } catch {
            logger.debug("redis close error", metadata: ["error": "\(error)"])
        }
    }

    /// Number of commands waiting for replies (for diagnostics).
    public func pendingCount() async throws -> Int {
        let handler = self.handler
        return try await eventLoop.submit { handler.value.pendingCount }.get()
    }
}
