import NIOHTTP1

/// One request/response pair through the gateway, as a value: every event
/// of the exchange (client body and end, upstream connected, the
/// upstream's answer, either side closing, a timer) is a transition that
/// returns what the I/O around it must do, and refuses moves that cannot
/// happen. `ProxyHandler` only performs the actions, so each rule here —
/// above all, when an upstream connection may serve another client — is
/// tested without sockets.
///
/// The rule for reuse: an upstream connection goes back to the pool only
/// when both messages ended exactly as framed — the whole request was
/// written, the whole answer read, the upstream kept the connection alive —
/// and the exchange was not an upgrade. Any doubt closes it.
public struct ExchangeState: Sendable {
    public enum Phase: Equatable, Sendable {
        /// Token, session and rate limit are being checked.
        case admitting
        /// Waiting for an upstream connection.
        case connecting
        /// The request is being written upstream / the answer relayed.
        case forwarding
        /// After `101`: bytes pass untouched both ways.
        case tunnel
        /// The answer is complete (or the gateway answered itself).
        case done
    }

    public let method: HTTPMethod
    public let framing: RequestFraming
    public let isUpgrade: Bool
    /// Set once the route is known.
    public var maxBody: Int
    public private(set) var phase = Phase.admitting
    public private(set) var bodyBytes = 0
    /// The client's request ended (all framed body bytes arrived).
    public private(set) var requestEnded = false
    /// The request's end was written upstream.
    public private(set) var requestSent = false
    public private(set) var responseStarted = false
    private var upstreamKeepAlive = true
    /// The gateway answered before the request ended: the rest of the
    /// body is read and dropped (or the connection closed).
    public private(set) var answeredEarly = false
    public private(set) var retries = 0

    public init(method: HTTPMethod, framing: RequestFraming, isUpgrade: Bool, maxBody: Int) {
        self.method = method
        self.framing = framing
        self.isUpgrade = isUpgrade
        self.maxBody = maxBody
    }

    public var isIdempotent: Bool { [.GET, .HEAD, .OPTIONS].contains(method) }

    // MARK: the client's request

    public enum BodyAction: Equatable, Sendable {
        /// Keep it until the upstream connection is there.
        case hold
        /// Write it upstream now.
        case forward
        /// Over the route's limit: answer 413 (if nothing was answered yet) and close.
        case tooLarge
        /// The answer is out already: drop it.
        case drop
    }

    public mutating func receivedBody(_ count: Int) -> BodyAction {
        // The decoder cannot deliver this; if it ever did, nothing more of
        // this request may reach the upstream.
        guard !requestEnded else { return .drop }
        bodyBytes += count
        if bodyBytes > maxBody { return .tooLarge }
        switch phase {
        case .admitting, .connecting: return .hold
        case .forwarding: return .forward
        case .tunnel, .done: return .drop
        }
    }

    public enum EndAction: Equatable, Sendable {
        /// Write the end upstream now.
        case send
        /// Keep it until the upstream connection is there.
        case hold
        /// The answer is out and this was its request: the exchange is over.
        case finish
        case none
    }

    public mutating func receivedEnd() -> EndAction {
        guard !requestEnded else { return .none }
        requestEnded = true
        switch phase {
        case .admitting, .connecting: return .hold
        case .forwarding:
            requestSent = true
            return .send
        case .done: return .finish
        case .tunnel: return .none
        }
    }

    // MARK: upstream

    /// Looking for an upstream connection; false when the exchange is no
    /// longer waiting for one (answered, or its client left).
    public mutating func connecting() -> Bool {
        guard phase == .admitting || phase == .connecting else { return false }
        phase = .connecting
        return true
    }

    public enum ConnectedAction: Equatable, Sendable {
        /// Write the head and the held body; `andEnd`: the request's end too.
        case send(andEnd: Bool)
        /// The exchange is over (answered, or its client left): give the
        /// connection back untouched.
        case release
    }

    public mutating func connected() -> ConnectedAction {
        guard phase == .connecting else { return .release }
        phase = .forwarding
        if requestEnded { requestSent = true }
        return .send(andEnd: requestEnded)
    }

    public enum ResponseHeadAction: Equatable, Sendable {
        /// A `1xx` that is the upstream's business.
        case ignore
        /// `101` to an upgrade: join the two connections.
        case openTunnel
        /// Relay this head to the client.
        case relay
        /// Not a valid answer to this request: 502, close the upstream.
        case badGateway
    }

    public mutating func responseHead(status: Int, keepAlive: Bool) -> ResponseHeadAction {
        guard phase == .forwarding, !responseStarted else { return .badGateway }
        if status == 101 {
            guard isUpgrade else { return .badGateway }
            phase = .tunnel
            return .openTunnel
        }
        if status < 200 { return .ignore }
        responseStarted = true
        upstreamKeepAlive = keepAlive
        return .relay
    }

    public enum UpstreamFate: Equatable, Sendable {
        case reuse
        case close
    }

    /// The answer ended as framed.
    public mutating func responseEnded() -> UpstreamFate {
        guard phase == .forwarding, responseStarted else {
            // An end without a relayed head (after a 101 the tunnel owns
            // the bytes; anything else is the upstream's protocol error).
            return .close
        }
        phase = .done
        // An upgrade that was not accepted may have left the upstream in
        // any state; an answer before the whole request was written leaves
        // unread body bytes in the upstream's parser.
        return upstreamKeepAlive && requestSent && !isUpgrade ? .reuse : .close
    }

    public enum UpstreamLossAction: Equatable, Sendable {
        /// Nothing was answered and the request may be sent again: try
        /// another connection (the caller decides which instance).
        case retry
        /// Nothing was answered: 502 to the client.
        case badGateway
        /// The client has part of an answer: close its connection so it
        /// sees a broken response, not a short one.
        case cutClient
        /// The exchange is not waiting on the upstream any more.
        case ignore
    }

    /// The upstream closed (or broke) mid-exchange. `canReplay`: the whole
    /// body is still at hand and another connection can be had.
    public mutating func upstreamLost(canReplay: Bool, maxRetries: Int = 2) -> UpstreamLossAction {
        guard phase == .forwarding || phase == .connecting else { return .ignore }
        if responseStarted {
            phase = .done
            return .cutClient
        }
        if isIdempotent, requestEnded, canReplay, retries < maxRetries {
            retries += 1
            requestSent = false
            phase = .connecting
            return .retry
        }
        phase = .done
        return .badGateway
    }

    // MARK: the gateway answers

    /// The gateway answers itself (a refusal, a timeout, a 502). The rest
    /// of the request, if any, is read and dropped: the decoder knows its
    /// framing, so the next request starts where it should.
    public mutating func answeredLocally() {
        phase = .done
        responseStarted = true
        if !requestEnded { answeredEarly = true }
    }

    /// A timer fired (upstream slow to answer, body stalled). What to do
    /// with the client: answer (`true`) or just close (an answer is under way).
    public enum TimeoutAction: Equatable, Sendable {
        case answer
        case close
        case ignore
    }

    public mutating func timedOut() -> TimeoutAction {
        switch phase {
        case .admitting, .connecting, .forwarding:
            if responseStarted {
                phase = .done
                return .close
            }
            return .answer
        case .tunnel, .done:
            return .ignore
        }
    }

    /// The client went away: the upstream is always closed (its request
    /// may be half written).
    public mutating func clientClosed() -> UpstreamFate {
        phase = .done
        return .close
    }
}
