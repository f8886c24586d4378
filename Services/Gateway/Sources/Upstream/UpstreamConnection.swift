import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Redis

/// Holds a channel's reads while the other side of an exchange cannot take
/// more (backpressure), and lets the held read go when it can.
struct ReadGate {
    private(set) var holding = false
    private var pending = false

    mutating func hold() { holding = true }

    /// The handler's `read(context:)`.
    mutating func read(_ context: ChannelHandlerContext) {
        if holding { pending = true } else { context.read() }
    }

    mutating func open(_ context: ChannelHandlerContext) {
        holding = false
        if pending {
            pending = false
            context.read()
        }
    }
}

/// Receives what an upstream connection delivers during one exchange.
protocol UpstreamExchangeDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamClosed(error: (any Error)?)
    func upstreamWritabilityChanged(isWritable: Bool)
}

/// The upstream side of a connection: hands response parts to the current
/// exchange, and holds reads while the client cannot take more (backpressure).
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    weak var delegate: (any UpstreamExchangeDelegate)?
    var reads = ReadGate()
    private var error: (any Error)?
    /// Called when an idle (pooled) connection closes.
    var onIdleClose: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delegate?.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) { reads.read(context) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.error = error
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let delegate {
            self.delegate = nil
            delegate.upstreamClosed(error: error)
        } else {
            onIdleClose?()
        }
        context.fireChannelInactive()
    }
}

/// One keep-alive HTTP/1.1 connection to an upstream instance, on the event
/// loop of the client connection that uses it.
final class UpstreamConnection {
    let channel: any Channel
    let instance: UpstreamInstance
    let handler: UpstreamHandler
    let context: ChannelHandlerContext
    /// Exchanges this connection carried (0: fresh).
    var uses = 0

    init(channel: any Channel, instance: UpstreamInstance, handler: UpstreamHandler, context: ChannelHandlerContext) {
        self.channel = channel
        self.instance = instance
        self.handler = handler
        self.context = context
    }

    func holdReads() { handler.reads.hold() }
    func resumeReads() { handler.reads.open(context) }

    /// After a `101`: the HTTP handlers leave and `glue` takes the bytes as
    /// they are, including any the upstream sent right behind the `101`.
    func becomeTunnel(glue: GlueHandler) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(glue)
        // Order matters: the decoder goes last, handing what it still holds
        // to the next handler, which by then is the glue.
        pipeline.removeHandler(context: context, promise: nil)
        pipeline.removeHandler(context: try pipeline.context(handlerType: HTTPRequestEncoder.self), promise: nil)
        pipeline.removeHandler(context: try pipeline.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self), promise: nil)
    }
}

/// Idle upstream connections of one event loop, per instance. Used only from
/// its own loop, so a proxied request never leaves the thread it arrived on.
final class LoopConnectionPool {
    let eventLoop: any EventLoop
    /// Runs a request's async work (admission) on this loop.
    let executor: EventLoopTaskExecutor
    let connectTimeout: TimeAmount
    let maxIdlePerInstance: Int
    private var idle: [ObjectIdentifier: [UpstreamConnection]] = [:]

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maxIdlePerInstance: Int) {
        self.eventLoop = eventLoop
        self.executor = EventLoopTaskExecutor(eventLoop)
        self.connectTimeout = connectTimeout
        self.maxIdlePerInstance = maxIdlePerInstance
    }

    /// A live idle connection, if there is one.
    func takeIdle(_ instance: UpstreamInstance) -> UpstreamConnection? {
        eventLoop.preconditionInEventLoop()
        let key = ObjectIdentifier(instance)
        while var list = idle[key], let connection = list.popLast() {
            idle[key] = list
            if connection.channel.isActive {
                connection.handler.onIdleClose = nil
                return connection
            }
        }
        return nil
    }

    /// A live idle connection, or a new one.
    func acquire(_ instance: UpstreamInstance) -> EventLoopFuture<UpstreamConnection> {
        if let connection = takeIdle(instance) { return eventLoop.makeSucceededFuture(connection) }
        return connect(instance)
    }

    /// A new connection, never one that served anyone before.
    func connect(_ instance: UpstreamInstance) -> EventLoopFuture<UpstreamConnection> {
        let loop = eventLoop
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Bytes after a `101 Switching Protocols` stay ours (WebSocket pass-through).
                    // Outbound validation off: heads are built from what our own strict
                    // decoder accepted. Answers are parsed as strictly as requests.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes, enableOutboundHeaderValidation: false,
                        decoderLimitConfiguration: Self.responseLimits)
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(host: instance.host, port: instance.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                let context = try channel.pipeline.syncOperations.context(handlerType: UpstreamHandler.self)
                return UpstreamConnection(channel: channel, instance: instance, handler: handler, context: context)
            }
            .hop(to: loop)
    }

    /// Upstream answers' heads are ours (no client sends them), so larger
    /// than a request's, yet bounded.
    static let responseLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = 64 << 10
        limits.maxHeaderFieldSize = 32 << 10
        limits.maxHeaderFieldCount = 256
        return limits
    }()

    /// Back to the pool after a complete exchange, or closed if the pool is full.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.handler.delegate = nil
        // A read held while the client was slow must not stay swallowed, or the
        // next exchange on this connection would never see its answer.
        connection.resumeReads()
        let key = ObjectIdentifier(connection.instance)
        var list = idle[key] ?? []
        guard connection.channel.isActive, list.count < maxIdlePerInstance else {
            connection.channel.close(promise: nil)
            return
        }
        list.append(connection)
        idle[key] = list
        connection.handler.onIdleClose = { [weak self, weak connection] in
            guard let self, let connection else { return }
            self.idle[key]?.removeAll { $0 === connection }
        }
    }

    func closeAll() {
        for list in idle.values { for connection in list { connection.channel.close(promise: nil) } }
        idle = [:]
    }
}

/// One pool per event loop of the group.
final class ConnectionPools: @unchecked Sendable {
    // Written once at start, then read-only; each pool is used on its loop only.
    private var pools: [ObjectIdentifier: LoopConnectionPool] = [:]

    init(group: any EventLoopGroup, connectTimeout: TimeAmount, maxIdlePerInstance: Int) {
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = LoopConnectionPool(eventLoop: loop, connectTimeout: connectTimeout, maxIdlePerInstance: maxIdlePerInstance)
        }
    }

    func pool(for loop: any EventLoop) -> LoopConnectionPool {
        if let pool = pools[ObjectIdentifier(loop)] { return pool }
        preconditionFailure("event loop outside the gateway's group")
    }

    func closeAll() {
        for pool in pools.values { pool.eventLoop.execute { pool.closeAll() } }
    }
}
