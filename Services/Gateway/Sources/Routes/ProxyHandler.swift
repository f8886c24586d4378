import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit
import TrustTradeDTO

/// One client connection of the gateway. Each request is routed and admitted
/// (token, session, rate limit), then streamed to an upstream connection on
/// the same event loop, and the answer streamed back: no thread hop and no
/// buffering on the way, with backpressure both ways (reads on one side wait
/// while the other side cannot take more).
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: GatewayCore
    private var context: ChannelHandlerContext!
    private var pool: LoopConnectionPool!
    private var exchange: Exchange?
    private var reads = ReadGate()
    /// The answer went out before the request's body ended: drop the rest.
    private var discardingUntilEnd = false
    private var closeAfterResponse = false
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false

    init(core: GatewayCore) {
        self.core = core
    }

    /// One request/response pair.
    final class Exchange {
        enum Phase { case admitting, connecting, forwarding, answered, tunnel }

        let head: HTTPRequestHead
        let requestId: String
        let started = ContinuousClock.now
        let forwardedFor: String
        /// The peer is a load balancer we trust: its forwarding headers count.
        let viaTrustedProxy: Bool
        var phase = Phase.admitting
        var route: RouteDecision?
        var maxBody = 1 << 20
        /// Received while admitting/connecting, not yet sent upstream.
        var pending: [ByteBuffer] = []
        /// Everything sent upstream, while small enough to send again.
        var replay: [ByteBuffer]? = []
        var replayBytes = 0
        var bodyBytes = 0
        var requestEnded = false
        var requestSent = false
        var upstreamHeaders = HTTPHeaders()
        /// Rate-limit and CORS headers for whatever the answer is.
        var extraHeaders: [(String, String)] = []
        var upstream: UpstreamConnection?
        var instance: UpstreamInstance?
        var tried: [UpstreamInstance] = []
        /// The connection came from the pool (it may have been closed by the
        /// instance just now), so one more try on the same instance is fair.
        var connectionWasReused = false
        var retries = 0
        var timeout: Scheduled<Void>?
        var responseStarted = false
        var upstreamKeepAlive = true
        var status = 0
        /// A WebSocket upgrade: after the upstream's `101` both connections
        /// become one tunnel.
        var isWebSocketUpgrade = false

        init(head: HTTPRequestHead, requestId: String, forwardedFor: String, viaTrustedProxy: Bool) {
            self.head = head
            self.requestId = requestId
            self.forwardedFor = forwardedFor
            self.viaTrustedProxy = viaTrustedProxy
        }

        var path: Substring { head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
        var isIdempotent: Bool { [.GET, .HEAD, .OPTIONS].contains(head.method) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.pool = core.pools.pool(for: context.eventLoop)
    }

    // MARK: client → gateway

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            start(head)
        case .body(let buffer):
            guard !discardingUntilEnd, let exchange else { return }
            exchange.bodyBytes += buffer.readableBytes
            if exchange.bodyBytes > exchange.maxBody {
                refuseTooLarge(exchange)
                return
            }
            switch exchange.phase {
            case .admitting, .connecting: exchange.pending.append(buffer)
            case .forwarding: sendBody(buffer, exchange)
            case .answered, .tunnel: break
            }
        case .end:
            if discardingUntilEnd {
                discardingUntilEnd = false
                cycleComplete()
                return
            }
            guard let exchange else { return }
            exchange.requestEnded = true
            if exchange.phase == .forwarding, let upstream = exchange.upstream {
                upstream.context.write(upstream.handler.wrapOutboundOut(.end(nil)), promise: nil)
                exchange.requestSent = true
                upstreamNeedsFlush = true
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if upstreamNeedsFlush, let upstream = exchange?.upstream {
            upstreamNeedsFlush = false
            upstream.context.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) { reads.read(context) }

    private func holdReads() { reads.hold() }

    private func resumeReads() { reads.open(context) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client takes more again: let the upstream send more.
        if context.channel.isWritable, let upstream = exchange?.upstream { upstream.resumeReads() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange { abandon(exchange) }
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: a new request

    private func start(_ head: HTTPRequestHead) {
        holdReads()
        if !head.isKeepAlive { closeAfterResponse = true }
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        var clientIP = peer
        var forwardedFor = peer
        let viaTrustedProxy = core.config.trustedProxies.contains(peer)
        if viaTrustedProxy, let chain = head.headers.first(name: "x-forwarded-for"),
           let first = chain.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
            clientIP = first
            forwardedFor = "\(chain), \(peer)"
        }
        let requestId = Self.acceptableRequestId(head.headers.first(name: "x-request-id")) ?? Self.newRequestId()
        let exchange = Exchange(head: head, requestId: requestId, forwardedFor: forwardedFor, viaTrustedProxy: viaTrustedProxy)
        exchange.isWebSocketUpgrade = head.method == .GET
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            && head.headers.first(name: "upgrade")?.lowercased() == "websocket"
        self.exchange = exchange
        let origin = head.headers.first(name: "origin")
        let path = exchange.path

        if head.method == .GET || head.method == .HEAD, let operational = operationalRoute(path) {
            operational(exchange)
            return
        }
        if head.method == .OPTIONS, let origin, head.headers.contains(name: "access-control-request-method") {
            switch core.cors.preflight(origin: origin) {
            case .allowed(let headers):
                exchange.extraHeaders = headers
                answer(exchange, status: .noContent, contentType: nil, body: nil)
            case .refused:
                answer(exchange, error: APIError.forbidden("Origin \(origin) may not call this API"))
            }
            return
        }
        exchange.extraHeaders = core.cors.responseHeaders(origin: origin)
        if head.method == .GET || head.method == .HEAD, path == "/v1/openapi.json" {
            exchange.extraHeaders.append(("Cache-Control", "public, max-age=300"))
            answer(exchange, status: .ok, contentType: "application/json; charset=utf-8", body: core.openAPI)
            return
        }

        let route: RouteDecision
        do {
            route = try core.gatekeeper.route(method: head.method, path: String(path))
        } catch {
            answer(exchange, error: error)
            return
        }
        exchange.route = route
        exchange.maxBody = core.gatekeeper.maxBody(for: route)
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > exchange.maxBody {
            refuseTooLarge(exchange)
            return
        }

        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let boundExchange = NIOLoopBound(exchange, eventLoop: loop)
        let gatekeeper = core.gatekeeper
        let authorization = head.headers.first(name: "authorization")
        // On this connection's loop: the Redis call goes out on a connection of
        // the same loop and the answer comes back here without a thread hop.
        Task(executorPreference: pool.executor) {
            let result: Result<Gatekeeper.Admission, APIError>
            do throws(APIError) {
                result = .success(try await gatekeeper.admit(route: route, authorization: authorization, clientIP: clientIP))
            } catch {
                result = .failure(error)
            }
            loop.execute { bound.value.admitted(boundExchange.value, result) }
        }
    }

    private func admitted(_ exchange: Exchange, _ result: Result<Gatekeeper.Admission, APIError>) {
        guard self.exchange === exchange, exchange.phase == .admitting else { return }
        switch result {
        case .failure(let error):
            answer(exchange, error: error)
        case .success(let admission):
            exchange.extraHeaders.append(contentsOf: admission.rateHeaders)
            exchange.upstreamHeaders = upstreamHeaders(exchange, identity: admission.identity)
            connect(exchange)
        }
    }

    private func upstreamHeaders(_ exchange: Exchange, identity: Identity?) -> HTTPHeaders {
        var headers = ProxyHeaders.forwardable(request: exchange.head.headers)
        headers.add(name: HTTPField.Name.requestID.rawName, value: exchange.requestId)
        headers.add(name: HTTPField.Name.forwardedFor.rawName, value: exchange.forwardedFor)
        let proto = exchange.viaTrustedProxy ? exchange.head.headers.first(name: "x-forwarded-proto") : nil
        headers.add(name: HTTPField.Name.forwardedProto.rawName, value: proto == "https" ? "https" : "http")
        if let host = exchange.head.headers.first(name: "host") { headers.add(name: HTTPField.Name.forwardedHost.rawName, value: host) }
        if exchange.isWebSocketUpgrade {
            headers.add(name: "Connection", value: "Upgrade")
            headers.add(name: "Upgrade", value: "websocket")
        }
        if let identity {
            headers.add(name: HTTPField.Name.userID.rawName, value: identity.userId.uuidString.lowercased())
            headers.add(name: HTTPField.Name.userType.rawName, value: identity.userType.rawValue)
            headers.add(name: HTTPField.Name.sessionID.rawName, value: identity.sessionId)
        }
        return headers
    }

    // MARK: upstream

    private func connect(_ exchange: Exchange) {
        guard let route = exchange.route, let group = core.registry.groups[route.service],
              let instance = group.pick(excluding: exchange.tried)
        else {
            answer(exchange, error: APIError(.serviceUnavailable, code: .serviceUnavailable,
                                             message: "The \(exchange.route?.service ?? "") service is unavailable; try again shortly",
                                             headers: [.retryAfter: "1"]))
            return
        }
        exchange.phase = .connecting
        exchange.tried.append(instance)
        exchange.instance = instance
        instance.begin()
        if let idle = pool.takeIdle(instance) {
            forward(exchange, over: idle)
            return
        }
        pool.acquire(instance).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                guard self.exchange === exchange, exchange.phase == .connecting else {
                    // The client left meanwhile (its exchange already let go of the instance).
                    self.pool.release(connection)
                    return
                }
                self.forward(exchange, over: connection)
            case .failure(let error):
                if exchange.instance === instance {
                    instance.end()
                    exchange.instance = nil
                }
                self.core.upstreamError(instance, kind: "connect")
                if instance.markDown() {
                    self.core.logger.warning("upstream refused the connection; out of rotation until /health answers",
                                             metadata: ["upstream": "\(instance)", "error": "\(error)", "requestId": "\(exchange.requestId)"])
                }
                guard self.exchange === exchange, exchange.phase == .connecting else { return }
                // Nothing was sent yet: another instance may take it.
                self.connect(exchange)
            }
        }
    }

    private func forward(_ exchange: Exchange, over upstream: UpstreamConnection) {
        exchange.phase = .forwarding
        exchange.upstream = upstream
        exchange.connectionWasReused = upstream.uses > 0
        upstream.uses += 1
        upstream.handler.delegate = self
        var head = HTTPRequestHead(version: .http1_1, method: exchange.head.method, uri: exchange.head.uri, headers: exchange.upstreamHeaders)
        head.headers.replaceOrAdd(name: "Host", value: upstream.instance.authority)
        upstream.context.write(upstream.handler.wrapOutboundOut(.head(head)), promise: nil)
        let pending = exchange.pending
        exchange.pending = []
        for buffer in pending { sendBody(buffer, exchange) }
        if exchange.requestEnded {
            upstream.context.write(upstream.handler.wrapOutboundOut(.end(nil)), promise: nil)
            exchange.requestSent = true
        }
        upstream.context.flush()
        upstreamNeedsFlush = false
        exchange.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: core.upstreamTimeout) { [weak self] in
            self?.upstreamTimedOut(exchange)
        }
        if !exchange.requestEnded, upstream.channel.isWritable { resumeReads() }
    }

    private func sendBody(_ buffer: ByteBuffer, _ exchange: Exchange) {
        guard let upstream = exchange.upstream else { return }
        if exchange.replay != nil {
            exchange.replayBytes += buffer.readableBytes
            if exchange.replayBytes > core.config.replayableBodyLimit { exchange.replay = nil } else { exchange.replay!.append(buffer) }
        }
        upstream.context.write(upstream.handler.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        upstreamNeedsFlush = true
        // The upstream cannot take more: stop reading the client until it can.
        // (The flush may make it writable again at once, firing the event
        // before we hold: check again.)
        if !upstream.channel.isWritable {
            upstream.context.flush()
            upstreamNeedsFlush = false
            if !upstream.channel.isWritable { holdReads() }
        }
    }

    private func upstreamTimedOut(_ exchange: Exchange) {
        guard self.exchange === exchange, exchange.phase == .forwarding, !exchange.responseStarted else { return }
        if let instance = exchange.instance { core.upstreamError(instance, kind: "timeout") }
        dropUpstream(exchange, reuse: false)
        answer(exchange, error: APIError(.gatewayTimeout, code: .gatewayTimeout, message: "The \(exchange.route?.service ?? "") service did not answer in time"))
    }

    /// Lets go of the exchange's upstream connection: back to the pool when
    /// the exchange ended cleanly on both sides, closed otherwise.
    private func dropUpstream(_ exchange: Exchange, reuse: Bool) {
        exchange.timeout?.cancel()
        exchange.timeout = nil
        exchange.instance?.end()
        exchange.instance = nil
        guard let upstream = exchange.upstream else { return }
        exchange.upstream = nil
        upstream.handler.delegate = nil
        if reuse { pool.release(upstream) } else { upstream.channel.close(promise: nil) }
    }

    /// The client went away mid-exchange.
    private func abandon(_ exchange: Exchange) {
        exchange.phase = .answered
        dropUpstream(exchange, reuse: false)
    }

    // MARK: answers

    private func refuseTooLarge(_ exchange: Exchange) {
        if exchange.responseStarted {
            context.close(promise: nil)
            return
        }
        dropUpstream(exchange, reuse: false)
        // Do not read the rest of a body we refused: answer and close.
        closeAfterResponse = true
        answer(exchange, error: APIError(.contentTooLarge, code: .payloadTooLarge,
                                         message: "The request body is larger than this route accepts (\(exchange.maxBody) bytes)"))
    }

    /// A success made here, in the seed's envelope.
    private func answer(_ exchange: Exchange, data: some Codable & Sendable) {
        let envelope = SuccessEnvelope(data: data, meta: ResponseMeta(requestId: exchange.requestId))
        let body = (try? APIJSON.encoder().encode(envelope)) ?? Data()
        answer(exchange, status: .ok, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: body))
    }

    private func answer(_ exchange: Exchange, error: any Error) {
        let apiError = (error as? APIError) ?? APIError(.internalServerError, code: .internalError, message: "Something went wrong on our side")
        for field in apiError.headers { exchange.extraHeaders.append((field.name.rawName, field.value)) }
        let envelope = ErrorEnvelope(
            error: ErrorBody(code: apiError.code, message: apiError.message, details: apiError.details),
            meta: ResponseMeta(requestId: exchange.requestId))
        let body = (try? APIJSON.encoder().encode(envelope)) ?? Data()
        if apiError.status.code >= 500 {
            core.logger.error("request failed", metadata: ["requestId": "\(exchange.requestId)", "error": "\(apiError)"])
        }
        answer(exchange, status: HTTPResponseStatus(statusCode: apiError.status.code), contentType: "application/json; charset=utf-8",
               body: ByteBuffer(bytes: body))
    }

    /// An answer made here (errors, health, preflight), not by an upstream.
    private func answer(_ exchange: Exchange, status: HTTPResponseStatus, contentType: String?, body: ByteBuffer?) {
        exchange.phase = .answered
        exchange.responseStarted = true
        exchange.status = Int(status.code)
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        headers.add(name: HTTPField.Name.requestID.rawName, value: exchange.requestId)
        for (name, value) in exchange.extraHeaders { headers.add(name: name, value: value) }
        if closeAfterResponse { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: status, headers: headers))), promise: nil)
        if let body, exchange.head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        responseEnded(exchange)
    }

    private func responseEnded(_ exchange: Exchange) {
        let closing = closeAfterResponse
        let promise: EventLoopPromise<Void>? = closing ? context.eventLoop.makePromise() : nil
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
        clientNeedsFlush = false
        core.record(exchange)
        if closing, let promise {
            let channel = context.channel
            promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            self.exchange = nil
            return
        }
        if exchange.requestEnded {
            cycleComplete()
        } else {
            // Drop the rest of the request body, then take the next request.
            discardingUntilEnd = true
            self.exchange = nil
            resumeReads()
        }
    }

    private func cycleComplete() {
        exchange = nil
        resumeReads()
    }

    // MARK: operational routes

    private func operationalRoute(_ path: Substring) -> ((Exchange) -> Void)? {
        switch path {
        case "/health":
            return { exchange in self.answer(exchange, data: ["service": "gateway", "status": "ok"]) }
        case "/metrics":
            return { exchange in
                let bytes = ServiceMetrics.registry.emitToBuffer()
                self.answer(exchange, status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: ByteBuffer(bytes: bytes))
            }
        case "/ready":
            return { exchange in
                let loop = self.context.eventLoop
                let bound = NIOLoopBound(self, eventLoop: loop)
                let boundExchange = NIOLoopBound(exchange, eventLoop: loop)
                let redis = self.core.redis
                Task {
                    let ready = (try? await withTimeout(.seconds(2)) { try await redis.ping() }) != nil
                    loop.execute {
                        let handler = bound.value
                        let exchange = boundExchange.value
                        guard handler.exchange === exchange else { return }
                        if ready {
                            handler.answer(exchange, data: ReadinessReport(status: "ready", checks: ["redis": "ok"]))
                        } else {
                            handler.answer(exchange, error: APIError.unavailable("Not ready: redis"))
                        }
                    }
                }
            }
        default:
            return nil
        }
    }

    /// 128 random bits, as the services make them, without a UUID round trip.
    static func newRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        let hex = String(high, radix: 16), hexLow = String(low, radix: 16)
        return "req-" + String(repeating: "0", count: 16 - hex.count) + hex + String(repeating: "0", count: 16 - hexLow.count) + hexLow
    }

    /// Client ids are echoed into logs and headers: keep them short and printable.
    static func acceptableRequestId(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E || $0 == 0x3A })
        else { return nil }
        return value
    }
}

extension ProxyHandler: UpstreamExchangeDelegate {
    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let exchange, exchange.phase == .forwarding, let upstream = exchange.upstream else { return }
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols, exchange.isWebSocketUpgrade {
                exchange.phase = .tunnel
                exchange.timeout?.cancel()
                exchange.timeout = nil
                exchange.status = 101
                // After the decoder finished this message (it still has to hand us its end).
                context.eventLoop.assumeIsolated().execute { self.openTunnel(exchange, upstream: upstream, head: head) }
                return
            }
            // 1xx interim answers are the upstream's business.
            if head.status.code < 200 { return }
            exchange.timeout?.cancel()
            exchange.timeout = nil
            exchange.responseStarted = true
            exchange.status = Int(head.status.code)
            exchange.upstreamKeepAlive = head.isKeepAlive
            var headers = ProxyHeaders.returnable(response: head.headers)
            headers.add(name: HTTPField.Name.requestID.rawName, value: exchange.requestId)
            for (name, value) in exchange.extraHeaders { headers.add(name: name, value: value) }
            if closeAfterResponse { headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: head.status, headers: headers))), promise: nil)
            clientNeedsFlush = true
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientNeedsFlush = true
            if !context.channel.isWritable {
                context.flush()
                clientNeedsFlush = false
                if !context.channel.isWritable { upstream.holdReads() }
            }
        case .end:
            let reuse = exchange.upstreamKeepAlive && exchange.requestSent
            dropUpstream(exchange, reuse: reuse)
            responseEnded(exchange)
        }
    }

    /// Answers the client's upgrade with the upstream's `101` and joins the
    /// two connections: from here on bytes pass untouched both ways.
    private func openTunnel(_ exchange: Exchange, upstream: UpstreamConnection, head: HTTPResponseHead) {
        guard self.exchange === exchange, upstream.channel.isActive, context.channel.isActive else {
            upstream.channel.close(promise: nil)
            context.close(promise: nil)
            return
        }
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        do {
            try context.pipeline.syncOperations.addHandler(clientGlue, position: .first)
            var headers = ProxyHeaders.returnable(response: head.headers)
            headers.add(name: "Connection", value: "Upgrade")
            headers.add(name: "Upgrade", value: "websocket")
            headers.add(name: HTTPField.Name.requestID.rawName, value: exchange.requestId)
            for (name, value) in exchange.extraHeaders { headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: .switchingProtocols, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            upstream.handler.delegate = nil
            try upstream.becomeTunnel(glue: upstreamGlue)
        } catch {
            core.logger.error("websocket tunnel failed", metadata: ["requestId": "\(exchange.requestId)", "error": "\(error)"])
            upstream.channel.close(promise: nil)
            context.close(promise: nil)
            return
        }
        exchange.instance?.end()
        exchange.instance = nil
        exchange.upstream = nil
        core.record(exchange)
        // Reads now belong to the tunnel.
        resumeReads()
    }

    func upstreamReadComplete() {
        if clientNeedsFlush {
            clientNeedsFlush = false
            context.flush()
        }
    }

    func upstreamClosed(error: (any Error)?) {
        guard let exchange, exchange.phase == .forwarding else { return }
        let instance = exchange.instance
        exchange.upstream = nil
        dropUpstream(exchange, reuse: false)
        if exchange.responseStarted {
            // Cut off mid-answer: the client must see a broken response, not a short one.
            context.close(promise: nil)
            return
        }
        if let instance { core.upstreamError(instance, kind: error == nil ? "closed" : "protocol") }
        // An idempotent request whose body we still have may go to another
        // instance (or, if the connection came from the pool, to a fresh
        // connection of the same one: the instance may just have closed it).
        if exchange.isIdempotent, exchange.requestEnded, exchange.retries < 2, let replay = exchange.replay,
           let route = exchange.route, let group = core.registry.groups[route.service] {
            var tried = exchange.tried
            if exchange.connectionWasReused { tried.removeAll { $0 === instance } }
            if group.instances.contains(where: { candidate in candidate.isHealthy && !tried.contains { $0 === candidate } }) {
                exchange.retries += 1
                exchange.tried = tried
                core.logger.warning("upstream closed the connection before replying; trying again",
                                    metadata: ["upstream": "\(instance?.description ?? "")", "requestId": "\(exchange.requestId)"])
                exchange.pending = replay
                exchange.replay = []
                exchange.replayBytes = 0
                exchange.requestSent = false
                connect(exchange)
                return
            }
        }
        core.logger.error("upstream exchange failed",
                          metadata: ["upstream": "\(instance?.description ?? "")", "error": "\(error.map { "\($0)" } ?? "closed")", "requestId": "\(exchange.requestId)"])
        answer(exchange, error: APIError(.badGateway, code: .badGateway, message: "The \(exchange.route?.service ?? "") service gave a broken reply"))
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, exchange?.phase == .forwarding { resumeReads() }
    }
}
