import Foundation
import Gateway
import NIOCore
import NIOPosix
import Redis
import ServiceKit
import Synchronization
import TestSupport
import XCTest

/// A WebSocket-speaking upstream at the byte level: answers the upgrade with
/// `101` plus a first frame in the same write (the hard case for a proxy),
/// then echoes every byte.
/// Text collected by I/O handlers and read by the test.
final class TextLog: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ text: String) { entries.withLock { $0.append(text) } }
    var all: [String] { entries.withLock { $0 } }
    var joined: String { all.joined() }
}

final class WebSocketEchoServer: Sendable {
    let channel: any Channel
    let requests = TextLog()
    var port: Int { channel.localAddress!.port! }

    init() async throws {
        final class Handler: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            let requests: TextLog
            var upgraded = false
            var head = ""
            init(requests: TextLog) { self.requests = requests }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var buffer = unwrapInboundIn(data)
                if upgraded {
                    context.writeAndFlush(NIOAny(buffer), promise: nil)
                    return
                }
                head += buffer.readString(length: buffer.readableBytes) ?? ""
                guard head.contains("\r\n\r\n") else { return }
                requests.append(head)
                upgraded = true
                let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nwelcome|"
                context.writeAndFlush(NIOAny(ByteBuffer(string: answer)), promise: nil)
            }
        }
        let requests = self.requests
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(Handler(requests: requests)) }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async { try? await channel.close() }
}

/// A raw TCP client: what a browser's WebSocket sends, and everything it gets back.
final class RawClient: Sendable {
    let channel: any Channel

    init(port: Int) async throws {
        final class Collector: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            let sink: @Sendable (String) -> Void
            init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var buffer = unwrapInboundIn(data)
                sink(buffer.readString(length: buffer.readableBytes) ?? "")
            }
        }
        let received = self.received
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { $0.pipeline.addHandler(Collector { text in received.append(text) }) }
            .connect(host: "127.0.0.1", port: port).get()
    }

    private let received = TextLog()

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Waits until the bytes received so far contain `needle`.
    func waitFor(_ needle: String, timeout: Duration = .seconds(5)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = received.joined
            if text.contains(needle) { return text }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSetupError("never received \(needle); got: \(received.joined)")
    }

    func close() async { try? await channel.close() }
}

final class WebSocketPassThroughTests: XCTestCase {
    func testUpgradeTunnelsBytesBothWaysWithTheVerifiedIdentity() async throws {
        let keys = TestKeys()
        let jwksPort = try freePort()
        let jwks = try await BackgroundApp.start(port: jwksPort, EchoUpstream.make(name: "keys", port: jwksPort, keys: keys))
        let upstream = try await WebSocketEchoServer()
        let gateway = try await makeGateway(
            port: try freePort(), keysURL: "\(jwks.baseURL)/v1/auth/.well-known/jwks.json",
            upstreams: ["core": "http://127.0.0.1:\(upstream.port)"])
        let redis = try RedisClient(url: TestEnvironment.redisURL(db: 7))
        let identity = TestKeys.identity()
        try await redis.set(SessionKeys.key(identity.sessionId), "1")
        let token = try await keys.token(identity: identity)

        let client = try await RawClient(port: gateway.port)
        try await client.send(
            "GET /v1/chats/room-1/ws HTTP/1.1\r\nHost: api.trusttrade.ph\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let greeting = try await client.waitFor("welcome|")
        XCTAssertTrue(greeting.hasPrefix("HTTP/1.1 101"), greeting)
        XCTAssertTrue(greeting.lowercased().contains("upgrade: websocket"))
        XCTAssertTrue(greeting.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))

        // Frames are opaque bytes to the gateway: they come back as sent.
        try await client.send("frame-1|")
        try await client.send("frame-2|")
        let echoed = try await client.waitFor("frame-2|")
        XCTAssertTrue(echoed.hasSuffix("welcome|frame-1|frame-2|"), echoed)

        let seen = (upstream.requests.all.first ?? "").lowercased()
        XCTAssertTrue(seen.contains("upgrade: websocket"))
        XCTAssertTrue(seen.contains("x-user-id: \(identity.userId.uuidString.lowercased())"))
        XCTAssertTrue(seen.contains("sec-websocket-key: dghlihnhbxbszsbub25jzq=="))

        // Without a token the upgrade is refused like any protected route.
        let stranger = try await RawClient(port: gateway.port)
        // (From an address of its own: failed tokens count against the caller's address.)
        try await stranger.send("GET /v1/chats/room-1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Forwarded-For: \(uniqueClientIP())\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let refused = try await stranger.waitFor("UNAUTHORIZED")
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 401"))

        await client.close()
        await stranger.close()
        await gateway.stop()
        await upstream.close()
        await jwks.stop()
        await redis.close()
    }
}
