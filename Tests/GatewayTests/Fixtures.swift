import AsyncHTTPClient
import Crypto
import Foundation
import Gateway
import Hummingbird
import JWTKit
import Logging
import NIOHTTP1
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceKit
import TestSupport
import TrustTradeDTO

/// An application running in the background of a test, on a port of its own.
final class BackgroundApp: Sendable {
    let port: Int
    let task: Task<Void, any Error>
    let group: ServiceGroup

    private init(port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.port = port
        self.task = task
        self.group = group
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func start(port: Int, _ app: some Service) async throws -> BackgroundApp {
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test-app")))
        let task = Task { try await group.run() }
        let running = BackgroundApp(port: port, task: task, group: group)
        for _ in 0..<200 {
            var request = HTTPClientRequest(url: "\(running.baseURL)/health")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                _ = try? await response.body.collect(upTo: 1 << 16)
                return running
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        task.cancel()
        throw TestSetupError("app on port \(port) did not answer /health")
    }

    /// Graceful: the server stops accepting and finishes what it has.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// What the echo upstream saw.
struct Echo: Codable {
    var instance: String
    var method: String
    var path: String
    var headers: [String: String]
    var bodyBytes: Int
}

/// A stand-in for a service instance: echoes what reached it, streams
/// uploads without holding them, sleeps on `/v1/users/slow`, and serves the
/// JWKS of the test's signing key.
enum EchoUpstream {
    static func make(name: String, port: Int, keys: TestKeys) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        for method: HTTPRequest.Method in [.get, .post, .put, .delete, .patch] {
            // One catch-all: Hummingbird's trie does not backtrack from /v1/... to `**`.
            router.on("**", method: method) { request, _ -> Response in
                switch request.uri.path {
                case "/v1/auth/.well-known/jwks.json":
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: keys.jwks)))
                case "/v1/users/slow":
                    try await Task.sleep(for: .seconds(3))
                default: break
                }
                var bytes = 0
                for try await chunk in request.body { bytes += chunk.readableBytes }
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName, default: ""] += headers[field.name.canonicalName] == nil ? field.value : ", \(field.value)" }
                let echo = Echo(instance: name, method: request.method.rawValue, path: request.uri.description, headers: headers, bodyBytes: bytes)
                let body = try JSONEncoder().encode(echo)
                return Response(status: .ok, headers: [.contentType: "application/json", .init("X-Upstream-Debug")!: "1", .connection: "X-Upstream-Debug"],
                                body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: name))
    }
}

/// A signing key the tests control, published as the JWKS the gateway reads.
struct TestKeys: Sendable {
    let kid = "test-key-1"
    let key = Curve25519.Signing.PrivateKey()
    static let issuer = "https://api.trusttrade.ph"
    static let audience = "trusttrade-api"

    var jwks: String {
        #"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"\#(kid)","x":"\#(Base64URL.encode(key.publicKey.rawRepresentation))"}]}"#
    }

    func token(
        identity: Identity = TestKeys.identity(), expiresIn: TimeInterval = 600, audience: String = TestKeys.audience,
        signingKey: Curve25519.Signing.PrivateKey? = nil, kid: String? = nil
    ) async throws -> String {
        let keys = JWTKeyCollection()
        let kid = kid ?? self.kid
        await keys.add(eddsa: EdDSA.PrivateKey(backing: signingKey ?? key), kid: JWKIdentifier(string: kid))
        let now = Date()
        let claims = AccessTokenClaims(identity: identity, issuer: Self.issuer, audience: audience, issuedAt: now.addingTimeInterval(min(0, expiresIn) - 60), expiresAt: now.addingTimeInterval(expiresIn))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    static func identity() -> Identity {
        Identity(userId: UUID(), email: "maria@example.ph", userType: .consumer, sessionId: UUID().uuidString.lowercased())
    }

    /// `{"alg":"none"}` tokens: the classic downgrade.
    static func unsignedToken(identity: Identity) -> String {
        let header = Base64URL.encode(Data(#"{"alg":"none","typ":"JWT","kid":"test-key-1"}"#.utf8))
        let exp = Int(Date().addingTimeInterval(600).timeIntervalSince1970)
        let payload = Base64URL.encode(Data(#"{"sub":"\#(identity.userId.uuidString.lowercased())","email":"x@example.ph","userType":"admin","sid":"\#(identity.sessionId)","iss":"\#(issuer)","aud":"\#(audience)","iat":0,"exp":\#(exp)}"#.utf8))
        return "\(header).\(payload)."
    }
}

/// A TCP server that answers every connection with bytes that are not HTTP.
final class GarbageServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init() async throws {
        final class Handler: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                context.writeAndFlush(NIOAny(ByteBuffer(string: "SPEAKING NOT HTTP\r\n\r\n")), promise: nil)
                context.close(promise: nil)
            }
        }
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.pipeline.addHandler(Handler()) }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async { try? await channel.close() }
}

/// A gateway for a test: settings on top of sensible test defaults.
func makeGateway(port: Int, keysURL: String, upstreams: [String: String], redisURL: String = TestEnvironment.redisURL(db: 7), extra: [String: String] = [:]) async throws -> BackgroundApp {
    var values: [String: String] = [
        "PORT": String(port),
        "REDIS_URL": redisURL,
        "AUTH_JWKS_URL": keysURL,
        "LOG_LEVEL": "warning",
        // Tests tell apart their callers by a forwarded address.
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
        "GATEWAY_HEALTH_PROBE_INTERVAL_MS": "200",
        "CORS_ALLOWED_ORIGINS": "https://aitrusttrade.ph",
        "GATEWAY_METRICS_PORT": String(try freePort()),
    ]
    for (service, url) in upstreams { values["GATEWAY_UPSTREAM_\(service.uppercased())"] = url }
    let config = try GatewayConfig(settings: Settings(values.merging(extra) { _, new in new }))
    var logger = Logger(label: "gateway-test")
    logger.logLevel = .warning
    return try await BackgroundApp.start(port: port, try await buildApplication(config: config, logger: logger))
}

/// A fresh made-up client address, so tests never share rate-limit buckets.
func uniqueClientIP() -> String {
    "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
}

struct Reply {
    let status: Int
    let headers: [String: String]
    let body: Data

    func json() -> [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var errorCode: String? { (json()["error"] as? [String: Any])?["code"] as? String }
    func echo() throws -> Echo { try JSONDecoder().decode(Echo.self, from: body) }
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

func call(_ method: HTTPMethod = .GET, _ url: String, headers: [String: String] = [:], body: HTTPClientRequest.Body? = nil) async throws -> Reply {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = body }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    var headerMap: [String: String] = [:]
    for (name, value) in response.headers { headerMap[name.lowercased()] = value }
    let bytes = try await response.body.collect(upTo: 10 << 20)
    return Reply(status: Int(response.status.code), headers: headerMap, body: Data(buffer: bytes))
}
