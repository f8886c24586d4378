import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceKit
import TrustTradeDTO

/// One client connection of the gateway. Each request is routed and admitted
/// (token, session, rate limit), then streamed to an upstream connection on
/// the same event loop, and the answer streamed back: no thread hop and no
/// buffering on the way, with backpressure both ways (reads on one side wait
/// while the other side cannot take more).
///
/// What may happen next in an exchange — above all, whether its upstream
/// connection may serve anyone else — is decided by `ExchangeState`; this
/// handler does the I/O those decisions name.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: GatewayCore
    private let headGuard: HeadGuardHandler
    private var context: ChannelHandlerContext!
    private var pool: LoopConnectionPool!
    private var exchange: Exchange?
    private var reads = ReadGate()
    /// The answer went out before the request's body ended: drop the rest.
    private var discardingUntilEnd = false
    private var closeAfterResponse = false
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false
    /// A request body is being read (forwarded or dropped): it must keep coming.
    private var readingBody = false
    private var lastBodyProgress = NIODeadline.now()
    private var bodyTimer: Scheduled<Void>?

    init(core: GatewayCore, headGuard: HeadGuardHandler) {
        self.core = core
        self.headGuard = headGuard
    }

    /// One request/response pair: its state, and the I/O it holds.
    final class Exchange {
        let head: HTTPRequestHead
        let requestId: String
        let started = ContinuousClock.now
        let client: ClientAddressPolicy.Resolution
        var state: ExchangeState
        var route: RouteDecision?
        /// Received while admitting/connecting, not yet sent upstream.
        var pending: [ByteBuffer] = []
        /// Everything sent upstream, while small enough to send again.
        var replay: [ByteBuffer]? = []
        var replayBytes = 0
        var upstreamHeaders = HTTPHeaders()
        /// Rate-limit and CORS headers for whatever the answer is.
        var extraHeaders: [(String, String)] = []
        var upstream: UpstreamConnection?
        var instance: UpstreamInstance?
        var tried: [UpstreamInstance] = []
        /// The connection came from the pool (it may have been closed by the
        /// instance just now), so one more try on the same instance is fair.
        var connectionWasReused = false
        var timeout: Scheduled<Void>?
        var status = 0

        init(head: HTTPRequestHead, requestId: String, client: ClientAddressPolicy.Resolution, state: ExchangeState) {
            self.head = head
            self.requestId = requestId
            self.client = client
            self.state = state
        }

        var path: Substring { head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
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
            lastBodyProgress = .now()
            guard !discardingUntilEnd, let exchange else { return }
            switch exchange.state.receivedBody(buffer.readableBytes) {
            case .hold: exchange.pending.append(buffer)
            case .forward: sendBody(buffer, exchange)
            case .tooLarge: refuseTooLarge(exchange)
            case .drop: break
            }
        case .end:
            headGuard.requestEnded()
            readingBody = false
            bodyTimer?.cancel()
            bodyTimer = nil
            if discardingUntilEnd {
                discardingUntilEnd = false
                cycleComplete()
                return
            }
            guard let exchange else { return }
            switch exchange.state.receivedEnd() {
            case .send:
                if let upstream = exchange.upstream {
                    upstream.context.write(upstream.handler.wrapOutboundOut(.end(nil)), promise: nil)
                    upstreamNeedsFlush = true
                }
            case .finish:
                cycleComplete()
            case .hold, .none:
                break
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

    private func resumeReads() {
        // Time we did not ask for bytes is not the client's stall.
        if readingBody { lastBodyProgress = .now() }
        reads.open(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client takes more again: let the upstream send more.
        if context.channel.isWritable, let upstream = exchange?.upstream { upstream.resumeReads() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        if let exchange { abandon(exchange) }
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: a new request

    private func start(_ head: HTTPRequestHead) {
        headGuard.exchangeStarted()
        holdReads()
        if !head.isKeepAlive { closeAfterResponse = true }
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let client = core.clientAddresses.resolve(peer: peer, forwardedFor: head.headers["x-forwarded-for"])
        let requestId = Self.acceptableRequestId(head.headers.first(name: "x-request-id")) ?? Self.newRequestId()
        let isUpgrade = head.method == .GET
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            && head.headers.first(name: "upgrade")?.lowercased() == "websocket"
        let framing = RequestFraming.of(head)
        let exchange = Exchange(
            head: head, requestId: requestId, client: client,
            state: ExchangeState(method: head.method, framing: (try? framing.get()) ?? .none, isUpgrade: isUpgrade,
                                 maxBody: core.config.bodyLimits[.general] ?? (1 << 20)))
        self.exchange = exchange
        if case .failure(let refusal) = framing {
            if head.method == .CONNECT {
                exchange.status = 405
                core.record(exchange)
                self.exchange = nil
                headGuard.refuseConnect(requestId: requestId)
                return
            }
            // Where this request's body ends is not something we will guess.
            closeAfterResponse = true
            let status: HTTPResponse.Status = switch refusal.kind {
            case .badRequest: .badRequest
            case .methodNotAllowed: .methodNotAllowed
            case .notImplemented: .notImplemented
            }
            answer(exchange, error: APIError(status, code: APIError.code(for: status), message: refusal.message))
            return
        }
        if exchange.state.framing != .none {
            readingBody = true
            lastBodyProgress = .now()
            armBodyTimer()
        }
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
        exchange.state.maxBody = core.gatekeeper.maxBody(for: route)
        if case .contentLength(let length) = exchange.state.framing, length > exchange.state.maxBody {
            refuseTooLarge(exchange)
            return
        }

        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let boundExchange = NIOLoopBound(exchange, eventLoop: loop)
        let gatekeeper = core.gatekeeper
        let authorization = head.headers.first(name: "authorization")
        let clientIP = client.client
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
        guard self.exchange === exchange, exchange.state.phase == .admitting else { return }
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
        headers.add(name: HTTPField.Name.forwardedFor.rawName, value: exchange.client.forwardedFor)
        headers.add(name: HTTPField.Name.clientIP.rawName, value: exchange.client.client)
        let proto = exchange.client.viaTrustedProxy ? exchange.head.headers.first(name: "x-forwarded-proto") : nil
        headers.add(name: HTTPField.Name.forwardedProto.rawName, value: proto == "https" ? "https" : "http")
        if let host = exchange.head.headers.first(name: "host") { headers.add(name: HTTPField.Name.forwardedHost.rawName, value: host) }
        if let (name, value) = exchange.state.framing.upstreamHeader(for: exchange.head.method) { headers.add(name: name, value: value) }
        if exchange.state.isUpgrade {
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
        guard exchange.state.connecting() else { return }
        guard let route = exchange.route, let group = core.registry.groups[route.service],
              let instance = group.pick(excluding: exchange.tried)
        else {
            answer(exchange, error: APIError(.serviceUnavailable, code: .serviceUnavailable,
                                             message: "The \(exchange.route?.service ?? "") service is unavailable; try again shortly",
                                             headers: [.retryAfter: "1"]))
            return
        }
        exchange.tried.append(instance)
        exchange.instance = instance
        instance.begin()
        // An upgrade takes its connection for good (it becomes the socket's
        // tunnel): always a new one, never one that served other clients.
        if !exchange.state.isUpgrade, let idle = pool.takeIdle(instance) {
            forward(exchange, over: idle)
            return
        }
        let connection = exchange.state.isUpgrade ? pool.connect(instance) : pool.acquire(instance)
        connection.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                guard self.exchange === exchange else {
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
                guard self.exchange === exchange else { return }
                // Nothing was sent yet: another instance may take it.
                self.connect(exchange)
            }
        }
    }

    private func forward(_ exchange: Exchange, over upstream: UpstreamConnection) {
        guard case .send(let andEnd) = exchange.state.connected() else {
            pool.release(upstream)
            return
        }
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
        if andEnd { upstream.context.write(upstream.handler.wrapOutboundOut(.end(nil)), promise: nil) }
        upstream.context.flush()
        upstreamNeedsFlush = false
        exchange.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: core.upstreamTimeout) { [weak self] in
            self?.upstreamTimedOut(exchange)
        }
        if !exchange.state.requestEnded, upstream.channel.isWritable { resumeReads() }
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
        guard self.exchange === exchange else { return }
        switch exchange.state.timedOut() {
        case .answer:
            if let instance = exchange.instance { core.upstreamError(instance, kind: "timeout") }
            dropUpstream(exchange, reuse: false)
            answer(exchange, error: APIError(.gatewayTimeout, code: .gatewayTimeout, message: "The \(exchange.route?.service ?? "") service did not answer in time"))
        case .close:
            dropUpstream(exchange, reuse: false)
            context.close(promise: nil)
        case .ignore:
            break
        }
    }

    // MARK: a body that stops coming

    private func armBodyTimer() {
        bodyTimer?.cancel()
        bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastBodyProgress + TimeAmount(core.config.bodyTimeout)) { [weak self] in
            self?.checkBodyProgress()
        }
    }

    private func checkBodyProgress() {
        bodyTimer = nil
        guard readingBody else { return }
        if reads.holding { lastBodyProgress = .now() }
        if NIODeadline.now() < lastBodyProgress + TimeAmount(core.config.bodyTimeout) {
            armBodyTimer()
            return
        }
        Counter(label: "gateway_body_stalls_total").increment()
        // Nobody knows how much of the body is still to come: the connection ends here.
        closeAfterResponse = true
        guard let exchange, !discardingUntilEnd else {
            context.close(promise: nil)
            return
        }
        switch exchange.state.timedOut() {
        case .answer:
            dropUpstream(exchange, reuse: false)
            answer(exchange, error: APIError(.requestTimeout, code: .requestTimeout, message: "The request body stopped arriving"))
        case .close, .ignore:
            dropUpstream(exchange, reuse: false)
            context.close(promise: nil)
        }
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
        _ = exchange.state.clientClosed()
        dropUpstream(exchange, reuse: false)
    }

    // MARK: answers

    private func refuseTooLarge(_ exchange: Exchange) {
        if exchange.state.responseStarted {
            context.close(promise: nil)
            return
        }
        dropUpstream(exchange, reuse: false)
        // Do not read the rest of a body we refused: answer and close.
        closeAfterResponse = true
        answer(exchange, error: APIError(.contentTooLarge, code: .payloadTooLarge,
                                         message: "The request body is larger than this route accepts (\(exchange.state.maxBody) bytes)"))
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
        exchange.state.answeredLocally()
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

    /// The answer's last part. The bookkeeping comes first: writing the end
    /// makes the pipelining handler hand over the next request at once, from
    /// inside this write, and that request must find the connection ready.
    private func responseEnded(_ exchange: Exchange) {
        core.record(exchange)
        clientNeedsFlush = false
        self.exchange = nil
        if closeAfterResponse {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
            return
        }
        if exchange.state.requestEnded {
            headGuard.exchangeFinished()
        } else {
            // Drop the rest of the request body, then take the next request.
            discardingUntilEnd = true
        }
        resumeReads()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func cycleComplete() {
        exchange = nil
        headGuard.exchangeFinished()
        resumeReads()
    }

    // MARK: operational routes

    private func operationalRoute(_ path: Substring) -> ((Exchange) -> Void)? {
        switch path {
        case "/health":
            return { exchange in self.answer(exchange, data: ["service": "gateway", "status": "ok"]) }
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
        guard let exchange, let upstream = exchange.upstream else { return }
        switch part {
        case .head(let head):
            switch exchange.state.responseHead(status: Int(head.status.code), keepAlive: head.isKeepAlive) {
            case .ignore:
                // 1xx interim answers are the upstream's business.
                return
            case .openTunnel:
                exchange.timeout?.cancel()
                exchange.timeout = nil
                exchange.status = 101
                // After the decoder finished this message (it still has to hand us its end).
                context.eventLoop.assumeIsolated().execute { self.openTunnel(exchange, upstream: upstream, head: head) }
            case .relay:
                exchange.timeout?.cancel()
                exchange.timeout = nil
                exchange.status = Int(head.status.code)
                var headers = ProxyHeaders.returnable(response: head.headers)
                headers.add(name: HTTPField.Name.requestID.rawName, value: exchange.requestId)
                for (name, value) in exchange.extraHeaders { headers.add(name: name, value: value) }
                if closeAfterResponse { headers.replaceOrAdd(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: head.status, headers: headers))), promise: nil)
                clientNeedsFlush = true
            case .badGateway:
                upstreamBroke(exchange, reason: "answered \(head.status.code) where it may not")
            }
        case .body(let buffer):
            guard exchange.state.phase == .forwarding, exchange.state.responseStarted else { return }
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientNeedsFlush = true
            if !context.channel.isWritable {
                context.flush()
                clientNeedsFlush = false
                if !context.channel.isWritable { upstream.holdReads() }
            }
        case .end:
            // After a 101 the tunnel owns what follows.
            guard exchange.state.phase == .forwarding else { return }
            guard exchange.state.responseStarted else {
                upstreamBroke(exchange, reason: "ended an answer it never began")
                return
            }
            let fate = exchange.state.responseEnded()
            dropUpstream(exchange, reuse: fate == .reuse)
            responseEnded(exchange)
        }
    }

    /// The upstream broke the protocol: its connection is closed and the
    /// client gets a 502 (or, mid-answer, a cut connection).
    private func upstreamBroke(_ exchange: Exchange, reason: String) {
        if let instance = exchange.instance { core.upstreamError(instance, kind: "protocol") }
        core.logger.error("upstream broke the protocol", metadata: [
            "upstream": "\(exchange.upstream?.instance.description ?? "")", "reason": "\(reason)", "requestId": "\(exchange.requestId)"])
        let started = exchange.state.responseStarted
        dropUpstream(exchange, reuse: false)
        if started {
            _ = exchange.state.clientClosed()
            context.close(promise: nil)
        } else {
            answer(exchange, error: APIError(.badGateway, code: .badGateway, message: "The \(exchange.route?.service ?? "") service gave a broken reply"))
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
        guard let exchange, exchange.upstream != nil else { return }
        let instance = exchange.instance
        exchange.upstream = nil
        dropUpstream(exchange, reuse: false)
        // An idempotent request whose body we still have may go to another
        // instance (or, if the connection came from the pool, to a fresh
        // connection of the same one: the instance may just have closed it).
        var tried = exchange.tried
        if exchange.connectionWasReused { tried.removeAll { $0 === instance } }
        let group = exchange.route.flatMap { core.registry.groups[$0.service] }
        let alternative = group?.instances.contains { candidate in candidate.isHealthy && !tried.contains { $0 === candidate } } ?? false
        // A reply that broke the protocol is the instance's fault, not the
        // connection's: asking again would only repeat it.
        let brokenReply = error is HTTPParserError
        switch exchange.state.upstreamLost(canReplay: exchange.replay != nil && alternative && !brokenReply) {
        case .retry:
            exchange.tried = tried
            core.logger.warning("upstream closed the connection before replying; trying again",
                                metadata: ["upstream": "\(instance?.description ?? "")", "requestId": "\(exchange.requestId)"])
            exchange.pending = exchange.replay ?? []
            exchange.replay = []
            exchange.replayBytes = 0
            connect(exchange)
        case .cutClient:
            // Cut off mid-answer: the client must see a broken response, not a short one.
            context.close(promise: nil)
        case .badGateway:
            if let instance { core.upstreamError(instance, kind: error == nil ? "closed" : "protocol") }
            core.logger.error("upstream exchange failed",
                              metadata: ["upstream": "\(instance?.description ?? "")", "error": "\(error.map { "\($0)" } ?? "closed")", "requestId": "\(exchange.requestId)"])
            answer(exchange, error: APIError(.badGateway, code: .badGateway, message: "The \(exchange.route?.service ?? "") service gave a broken reply"))
        case .ignore:
            break
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, exchange?.state.phase == .forwarding { resumeReads() }
    }
}
