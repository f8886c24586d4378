import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Why a request could not be answered by an upstream; the gateway turns
/// each into its status (503, 504, 502, 413).
public enum UpstreamFailure: Error, Equatable {
    /// No instance configured, or every instance refused the connection.
    case unavailable
    /// No response head before the deadline.
    case timedOut
    /// The upstream broke the exchange or answered something that is not HTTP.
    case badReply
    /// The streamed request body passed its limit.
    case bodyTooLarge
}

/// Thrown by `LimitedBody` when a streamed request body passes its limit.
struct BodyTooLarge: Error {}

/// A request ready to go to any instance of a service.
public struct UpstreamRequest: Sendable {
    public enum Body: Sendable {
        case none
        /// Held in memory: may be sent again to another instance.
        case bytes(ByteBuffer)
        /// Streamed from the client: sent once.
        case stream(LimitedBody<RequestBody>, length: Int?)
    }

    public var method: HTTPMethod
    /// Path and query, exactly as the client sent them.
    public var target: String
    public var headers: HTTPHeaders
    public var body: Body
    /// GET/HEAD/OPTIONS: safe to send again after a connection broke before the reply.
    public var isIdempotent: Bool { [.GET, .HEAD, .OPTIONS].contains(method) }
}

/// Counts a request against its instance until the response body is done.
public final class InFlightLease: Sendable {
    let instance: UpstreamInstance
    private let released = Atomic<Bool>(false)

    init(_ instance: UpstreamInstance) {
        self.instance = instance
        instance.begin()
    }

    public func release() {
        if !released.exchange(true, ordering: .relaxed) { instance.end() }
    }

    deinit { release() }
}

/// Sends requests to a service's instances over keep-alive pools
/// (async-http-client, one pool per instance), moving to another instance
/// when one refuses the connection.
public struct UpstreamProxy: Sendable {
    let http: HTTPClient
    let registry: UpstreamRegistry
    let timeout: Duration
    let logger: Logger

    public init(http: HTTPClient, registry: UpstreamRegistry, timeout: Duration, logger: Logger) {
        self.http = http
        self.registry = registry
        self.timeout = timeout
        self.logger = logger
    }

    /// The HTTP client the gateway needs: big per-instance pools, no redirects
    /// followed (the client gets them), no decompression, connect failures
    /// reported at once rather than retried inside the pool.
    public static func makeHTTPClient(connectTimeout: Duration, maxConnectionsPerUpstream: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .init(connectTimeout), read: .seconds(300))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerUpstream)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }

    public func send(_ request: UpstreamRequest, to service: String, logger: Logger) async throws(UpstreamFailure) -> (HTTPClientResponse, InFlightLease, UpstreamInstance) {
        guard let group = registry.groups[service] else { throw .unavailable }
        var tried: [UpstreamInstance] = []
        let replayable: Bool = switch request.body {
        case .none, .bytes: true
        case .stream: false
        }
        while let instance = group.pick(excluding: tried) {
            tried.append(instance)
            var outgoing = HTTPClientRequest(url: instance.baseURL + request.target)
            outgoing.method = request.method
            outgoing.headers = request.headers
            switch request.body {
            case .none: break
            case .bytes(let buffer): outgoing.body = .bytes(buffer)
            case .stream(let body, let length): outgoing.body = .stream(body, length: length.map { .known(Int64($0)) } ?? .unknown)
            }
            let lease = InFlightLease(instance)
            do {
                let response = try await http.execute(outgoing, deadline: .now() + TimeAmount(timeout), logger: logger)
                return (response, lease, instance)
            } catch {
                lease.release()
                let kind = Self.classify(error)
                Counter(label: "gateway_upstream_errors_total", dimensions: [("upstream", instance.baseURL), ("kind", kind.rawValue)]).increment()
                switch kind {
                case .connect:
                    if instance.markDown() {
                        logger.warning("upstream refused the connection; out of rotation until /health answers",
                                       metadata: ["upstream": "\(instance)", "error": "\(error)"])
                        Gauge(label: "gateway_upstream_healthy", dimensions: [("upstream", instance.baseURL)]).record(0)
                    }
                    if replayable { continue }
                    throw .unavailable
                case .closedBeforeReply:
                    // A kept-alive connection the instance closed (restart, idle
                    // timeout) just as we used it: nothing was processed for an
                    // idempotent request, so another instance may answer.
                    logger.warning("upstream closed the connection before replying", metadata: ["upstream": "\(instance)", "error": "\(error)"])
                    if replayable && request.isIdempotent { continue }
                    throw .badReply
                case .timeout: throw .timedOut
                case .bodyTooLarge: throw .bodyTooLarge
                case .other:
                    logger.error("upstream exchange failed", metadata: ["upstream": "\(instance)", "error": "\(error)"])
                    throw .badReply
                }
            }
        }
        throw .unavailable
    }

    enum ErrorKind: String {
        case connect, closedBeforeReply = "closed", timeout, bodyTooLarge = "body_too_large", other
    }

    static func classify(_ error: any Error) -> ErrorKind {
        switch error {
        case is BodyTooLarge: return .bodyTooLarge
        case let e as HTTPClientError:
            if e == .deadlineExceeded || e == .readTimeout { return .timeout }
            if e == .connectTimeout { return .connect }
            if e == .remoteConnectionClosed { return .closedBeforeReply }
            return .other
        case is NIOConnectionError: return .connect
        case let e as ChannelError:
            switch e {
            case .connectTimeout: return .connect
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed: return .closedBeforeReply
            default: return .other
            }
        case let e as IOError:
            switch e.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN: return .connect
            case ECONNRESET, EPIPE: return .closedBeforeReply
            default: return .other
            }
        default: return .other
        }
    }
}

/// The client's request body, streamed, failing once it passes `limit` bytes.
public struct LimitedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let limit: Int

    public init(_ base: Base, limit: Int) {
        self.base = base
        self.limit = limit
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.readableBytes
            if seen > limit { throw BodyTooLarge() }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }
}
