import Foundation
import Metrics
import NIOCore
import ServiceKit
import TrustTradeDTO

/// First in a client connection's pipeline, on raw bytes: limits what the
/// HTTP decoder does not (the request line's length, the head's size as
/// sent) and how long a connection may take to send a head (slowloris) or
/// sit idle between requests. Its refusals are written as bytes straight
/// to the socket — no response is in flight when a head is awaited.
final class HeadGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var scanner: HeadScanner
    private let headTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    /// An exchange is under way (from its head until its answer ended).
    private var busy = false
    private var refused = false
    /// When the current wait (for a head, or idle) runs out, and whether
    /// that earns the client a 408 (a head was begun) or just a close.
    private var deadline: NIODeadline?
    private var answerOnExpiry = false
    /// One timer at most, and never set further out than a head's time: on
    /// a busy keep-alive connection the deadlines move with every request,
    /// and moving a deadline must not cost a timer of its own.
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?

    init(limits: HeadScanner.Limits, headTimeout: Duration, idleTimeout: Duration) {
        self.scanner = HeadScanner(limits: limits)
        self.headTimeout = TimeAmount(headTimeout)
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A new connection has the head's time to send one, not the idle time.
        if context.channel.isActive { expect(headTimeout, answer: true) }
    }

    func channelActive(context: ChannelHandlerContext) {
        expect(headTimeout, answer: true)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let buffer = unwrapInboundIn(data)
        let outcome = buffer.withUnsafeReadableBytes { scanner.scan($0) }
        switch outcome {
        case .ok:
            break
        case .headStarted:
            if !busy { expect(headTimeout, answer: true) }
        case .headTooLarge:
            refuse(.init(code: 431, reason: "Request Header Fields Too Large"), ErrorCode.headersTooLarge,
                   "The request head is larger than this gateway accepts")
            return
        case .lineTooLong:
            refuse(.init(code: 431, reason: "Request Header Fields Too Large"), ErrorCode.headersTooLarge,
                   "A line of the request head (URL or header) is longer than this gateway accepts")
            return
        }
        context.fireChannelRead(data)
    }

    // MARK: what the proxy tells

    /// A head was decoded: the exchange's own timers take over.
    func exchangeStarted() {
        busy = true
        deadline = nil
    }

    /// The decoder delivered the request's end: bytes from the next read on
    /// belong to the next head.
    func requestEnded() { scanner.requestEnded() }

    /// The answer is out and the connection stays: the next head, or idle.
    func exchangeFinished() {
        busy = false
        if scanner.isInHead { expect(headTimeout, answer: true) } else { expect(idleTimeout, answer: false) }
    }

    // MARK: timers and refusals

    private func expect(_ after: TimeAmount, answer: Bool) {
        let now = NIODeadline.now()
        let due = now + after
        deadline = due
        answerOnExpiry = answer
        let wake = min(due, now + headTimeout)
        // A wake-up at or before this one is pending: it will look again.
        if let at = timerFiresAt, at <= wake { return }
        schedule(at: wake)
    }

    private func schedule(at wake: NIODeadline) {
        timer?.cancel()
        guard let context else { return }
        timerFiresAt = wake
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: wake) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerFiresAt = nil
        guard let deadline, !busy, !refused else { return }
        let now = NIODeadline.now()
        guard now >= deadline else {
            schedule(at: min(deadline, now + headTimeout))
            return
        }
        if answerOnExpiry && !scanner.isAwaitingHead {
            refuse(.init(code: 408, reason: "Request Timeout"), ErrorCode.requestTimeout, "The request head did not arrive in time")
        } else {
            // Idle, or a connection that never began a request: nothing to answer.
            context?.close(promise: nil)
        }
    }

    private struct Status { let code: Int; let reason: String }

    private func refuse(_ status: Status, _ code: ErrorCode, _ message: String) {
        // Mid-exchange a raw answer would interleave with the proxied one.
        guard !busy else {
            refused = true
            context?.close(promise: nil)
            return
        }
        answerAndClose(status, code, message, requestId: ProxyHandler.newRequestId())
    }

    /// Writes a whole error answer as bytes, past the HTTP encoder, and
    /// closes. For what the encoder would spoil: it drops every body of an
    /// answer to `CONNECT`, as if the tunnel had been granted.
    func refuseConnect(requestId: String) {
        answerAndClose(.init(code: 405, reason: "Method Not Allowed"), .methodNotAllowed, "CONNECT is not allowed", requestId: requestId)
    }

    private func answerAndClose(_ status: Status, _ code: ErrorCode, _ message: String, requestId: String) {
        refused = true
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        guard let context else { return }
        let envelope = ErrorEnvelope(error: ErrorBody(code: code, message: message, details: nil),
                                     meta: ResponseMeta(requestId: requestId))
        let body = (try? APIJSON.encoder().encode(envelope)) ?? Data()
        var bytes = context.channel.allocator.buffer(capacity: body.count + 160)
        bytes.writeString("HTTP/1.1 \(status.code) \(status.reason)\r\nContent-Type: application/json; charset=utf-8\r\n")
        bytes.writeString("Content-Length: \(body.count)\r\nX-Request-ID: \(requestId)\r\nConnection: close\r\n\r\n")
        bytes.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
        Counter(label: "gateway_head_refusals_total", dimensions: [("status", String(status.code))]).increment()
    }
}
