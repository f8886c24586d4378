import CHiredis
import Logging
import NIOCore

/// Where the replies to one submitted request go.
enum RedisResponseSink: Sendable {
    /// One command, one reply.
    case single(UnsafeContinuation<RedisValue, any Error>)
    /// `expected` replies collected in order (a pipeline, or SUBSCRIBE with several channels).
    case batch(UnsafeContinuation<[RedisValue], any Error>, expected: Int)

    func fail(_ error: any Error) {
        switch self {
        case .single(let c): c.resume(throwing: error)
        case .batch(let c, _): c.resume(throwing: error)
        }
    }
}

/// Commands travelling from any thread to the event loop.
enum RedisCommands: Sendable {
    case one([RedisArgument])
    case many([[RedisArgument]])
}

final class RedisBatchCollector {
    @exclusivity(unchecked) var values: [RedisValue]
    let expected: Int
    let continuation: UnsafeContinuation<[RedisValue], any Error>

    init(expected: Int, continuation: UnsafeContinuation<[RedisValue], any Error>) {
        self.expected = expected
        self.continuation = continuation
        self.values = []
        self.values.reserveCapacity(expected)
    }
}

/// The protocol handler of one Redis connection.
///
/// Outbound: commands are encoded with hiredis' `redisFormatCommandArgv` into one
/// pending `ByteBuffer`; all commands submitted during one event-loop tick are written
/// with a single `writeAndFlush` (one syscall for a whole pipeline).
/// Inbound: bytes are fed into a hiredis `redisReader` (which keeps partial replies
/// across reads); every complete reply completes the oldest pending request (FIFO).
/// Protocol errors and closes fail every pending request.
///
/// Only ever touched on its channel's event loop.
final class RedisChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Pending {
        case single(UnsafeContinuation<RedisValue, any Error>)
        case batch(RedisBatchCollector)
    }

    @exclusivity(unchecked) private var context: ChannelHandlerContext?
    @exclusivity(unchecked) private var reader: UnsafeMutablePointer<redisReader>?
    /// Builds replies straight from the parser's callbacks (no hiredis reply tree).
    private let replyBuilder = RedisReplyBuilder()
    @exclusivity(unchecked) private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    @exclusivity(unchecked) private var outBuffer = ByteBuffer()
    @exclusivity(unchecked) private var flushScheduled = false
    @exclusivity(unchecked) private var closedError: RedisError?

    // Reused encoding scratch space (no per-command allocations).
    @exclusivity(unchecked) private var scratch: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var scratchCapacity: Int
    @exclusivity(unchecked) private var argv: UnsafeMutablePointer<UnsafePointer<CChar>?>
    @exclusivity(unchecked) private var argvLen: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private var argvCapacity: Int

    private let pushHandler: (@Sendable (RedisPubSubMessage) -> Void)?
    private let commandTimeout: TimeAmount?
    @exclusivity(unchecked) private var lastProgress = NIODeadline.now()
    private var timeoutTask: RepeatedTask?
    private var logger: Logger

    init(
        logger: Logger,
        commandTimeout: TimeAmount?,
        pushHandler: (@Sendable (RedisPubSubMessage) -> Void)? = nil
    ) {
        self.logger = logger
        self.commandTimeout = commandTimeout
        self.pushHandler = pushHandler
        self.argvCapacity = 16
        self.argv = .allocate(capacity: 16)
        self.argvLen = .allocate(capacity: 16)
        self.scratchCapacity = 512
        self.scratch = .allocate(byteCount: 512, alignment: 16)
    }

    deinit {
        argv.deallocate()
        argvLen.deallocate()
        scratch.deallocate()
        if let reader { redisReaderFree(reader) }
    }

    var pendingCount: Int { pending.count }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.reader = RedisReplyBuilder.makeReader(for: replyBuilder)
        self.outBuffer = context.channel.allocator.buffer(capacity: 4096)
        if let timeout = commandTimeout {
            let interval = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 5_000_000))
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            self.timeoutTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                bound.value.checkTimeout(timeout)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.close(with: .connectionClosed)
        self.timeoutTask?.cancel()
        self.timeoutTask = nil
        if let reader {
            redisReaderFree(reader)
            self.reader = nil
        }
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.close(with: .connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("redis connection error", metadata: ["error": "\(error)"])
        self.close(with: .connectionClosed)
        context.close(promise: nil)
    }

    private func close(with error: RedisError) {
        if closedError == nil { closedError = error }
        failAll(error)
    }

    private func failAll(_ error: RedisError) {
        while let p = pending.popFirst() {
            switch p {
            case .single(let c): c.resume(throwing: error)
            case .batch(let b): b.continuation.resume(throwing: error)
            }
        }
    }

    private func checkTimeout(_ timeout: TimeAmount) {
        guard !pending.isEmpty, closedError == nil else { return }
        if NIODeadline.now() - lastProgress > timeout {
            logger.warning("redis command timed out; closing connection", metadata: ["redis.pending": "\(pending.count)"])
            close(with: .timeout)
            context?.close(promise: nil)
        }
    }

    // MARK: outbound

    /// Queues commands for writing. Must be called on the event loop.
    func submit(_ commands: RedisCommands, sink: RedisResponseSink) {
        guard closedError == nil, let context else {
            sink.fail(closedError ?? .connectionClosed)
            return
        }
        switch commands {
        case .one(let c): encode(c)
        case .many(let cs): for c in cs { encode(c) }
        }
        if pending.isEmpty, commandTimeout != nil { lastProgress = .now() }
        switch sink {
        case .single(let c): pending.append(.single(c))
        case .batch(let c, let expected):
            if expected == 0 {
                c.resume(returning: [])
            } else {
                pending.append(.batch(RedisBatchCollector(expected: expected, continuation: c)))
            }
        }
        if !flushScheduled {
            flushScheduled = true
            // Flush at the end of this batch of event-loop tasks, so all commands
            // submitted concurrently go out in one write.
            context.eventLoop.assumeIsolatedUnsafeUnchecked().execute { self.flushNow() }
        }
    }

    private func flushNow() {
        flushScheduled = false
        guard let context, closedError == nil, outBuffer.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(outBuffer), promise: nil)
        outBuffer.clear()
    }

    /// Formats one command with hiredis (`redisFormatSdsCommandArgv`) and appends it to
    /// the pending output. The arguments are gathered into a reused scratch buffer first
    /// (hiredis wants `argv`/`argvlen` arrays), so the only allocation per command is the
    /// one hiredis makes for its output. (The sds variant formats with `sdscatfmt`, not
    /// printf: measurably faster than `redisFormatCommandArgv`.)
    private func encode(_ command: [RedisArgument]) {
        let argc = command.count
        if argc > argvCapacity {
            argv.deallocate()
            argvLen.deallocate()
            argvCapacity = max(argc, argvCapacity * 2)
            argv = .allocate(capacity: argvCapacity)
            argvLen = .allocate(capacity: argvCapacity)
        }
        let argvLen = self.argvLen
        var used = 0
        for i in 0..<argc {
            let n: Int
            switch command[i] {
            case .string(var string):
                n = string.withUTF8 { appendScratch(UnsafeRawBufferPointer($0), at: used) }
            case .bytes(let bytes):
                n = bytes.withUnsafeBytes { appendScratch($0, at: used) }
            }
            argvLen[i] = n
            used += n
        }
        // Pointers only now: the scratch buffer may have moved while growing.
        let argv = self.argv
        var p = UnsafePointer<CChar>(scratch.assumingMemoryBound(to: CChar.self))
        for i in 0..<argc {
            argv[i] = p
            p += argvLen[i]
        }
        var target: sds? = nil
        let n = redisFormatSdsCommandArgv(&target, Int32(argc), argv, argvLen)
        if n > 0, let target {
            outBuffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(n)))
        }
        redisFreeSdsCommand(target)
    }

    @inline(__always)
    private func appendScratch(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let n = bytes.count
        if offset + n > scratchCapacity { growScratch(to: offset + n, keeping: offset) }
        if n > 0 { (scratch + offset).copyMemory(from: bytes.baseAddress!, byteCount: n) }
        return n
    }

    private func growScratch(to needed: Int, keeping used: Int) {
        var capacity = scratchCapacity * 2
        while capacity < needed { capacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        bigger.copyMemory(from: scratch, byteCount: used)
        scratch.deallocate()
        scratch = bigger
        scratchCapacity = capacity
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let reader, closedError == nil else { return }
        let fed = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if fed != REDIS_OK {
            protocolError(context: context, Self.readerError(reader))
            return
        }
        while true {
            var reply: UnsafeMutableRawPointer? = nil
            if redisReaderGetReply(reader, &reply) != REDIS_OK {
                replyBuilder.reset()
                protocolError(context: context, Self.readerError(reader))
                return
            }
            // The reply object is only a token; the value itself is in the builder.
            guard reply != nil else { break }
            deliver(replyBuilder.takeResult(), context: context)
            if closedError != nil { return }
        }
        if commandTimeout != nil { lastProgress = .now() }
    }

    private func deliver(_ value: RedisValue, context: ChannelHandlerContext) {
        if let pushHandler, let message = RedisPubSubMessage(value) {
            pushHandler(message)
            return
        }
        guard let head = pending.first else {
            protocolError(context: context, "unexpected reply without a pending command: \(value)")
            return
        }
        switch head {
        case .single(let c):
            pending.removeFirst()
            c.resume(returning: value)
        case .batch(let b):
            b.values.append(value)
            if b.values.count == b.expected {
                pending.removeFirst()
                b.continuation.resume(returning: b.values)
            }
        }
    }

    private func protocolError(context: ChannelHandlerContext, _ message: String) {
        logger.error("redis protocol error; closing connection", metadata: ["error": "\(message)"])
        close(with: .protocolError(message))
        context.close(promise: nil)
    }

    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>) -> String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
