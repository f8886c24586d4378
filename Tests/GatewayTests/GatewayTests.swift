import AsyncHTTPClient
import Crypto
import NIOHTTP1
import Foundation
import Gateway
import NIOCore
import Redis
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// The gateway against real Redis and real HTTP upstreams (in-process
/// Hummingbird apps on their own ports).
final class GatewayTests: XCTestCase {
    var keys = TestKeys()
    var core: BackgroundApp!
    var gateway: BackgroundApp!
    var redis: RedisClient!
    var started: [BackgroundApp] = []

    override func setUp() async throws {
        keys = TestKeys()
        core = try await startUpstream("core-a")
        redis = try RedisClient(url: TestEnvironment.redisURL(db: 7))
    }

    override func tearDown() async throws {
        for app in started.reversed() { await app.stop() }
        started = []
        await redis?.close()
    }

    func startUpstream(_ name: String, port: Int? = nil) async throws -> BackgroundApp {
        let port = try port ?? freePort()
        let app = try await BackgroundApp.start(port: port, EchoUpstream.make(name: name, port: port, keys: keys))
        started.append(app)
        return app
    }

    func startGateway(upstreams: [String: String]? = nil, redisURL: String = TestEnvironment.redisURL(db: 7), extra: [String: String] = [:]) async throws -> BackgroundApp {
        let upstreams = upstreams ?? ["core": core.baseURL, "auth": core.baseURL, "file": core.baseURL, "notification": core.baseURL]
        let app = try await makeGateway(
            port: try freePort(), keysURL: "\(core.baseURL)/v1/auth/.well-known/jwks.json",
            upstreams: upstreams, redisURL: redisURL, extra: extra)
        started.append(app)
        return app
    }

    /// A token whose session is alive in Redis, as after a login.
    func signedIn() async throws -> (token: String, identity: Identity) {
        let identity = TestKeys.identity()
        try await redis.set(SessionKeys.key(identity.sessionId), "1")
        return (try await keys.token(identity: identity), identity)
    }

    // MARK: routing and headers

    func testRoutesToOwnerAndPassesVerifiedIdentityNotTheClients() async throws {
        let gateway = try await startGateway()
        let (token, identity) = try await signedIn()
        let reply = try await call(.GET, "\(gateway.baseURL)/v1/users/me?fields=all", headers: [
            "Authorization": "Bearer \(token)",
            "X-Request-ID": "client-req-42",
            "X-User-Id": "00000000-0000-0000-0000-000000000000",
            "X-User-Type": "admin",
            "X-Service-Token": "forged",
            "X-Forwarded-For": "203.0.113.9",
            "X-Client-IP": "198.51.100.77",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "must not pass",
        ])
        XCTAssertEqual(reply.status, 200)
        let echo = try reply.echo()
        XCTAssertEqual(echo.instance, "core-a")
        XCTAssertEqual(echo.path, "/v1/users/me?fields=all")
        XCTAssertEqual(echo.headers["x-user-id"], identity.userId.uuidString.lowercased())
        XCTAssertEqual(echo.headers["x-user-type"], "consumer")
        XCTAssertEqual(echo.headers["x-session-id"], identity.sessionId)
        XCTAssertNil(echo.headers["x-service-token"])
        XCTAssertNil(echo.headers["x-secret-hop"])
        XCTAssertEqual(echo.headers["x-request-id"], "client-req-42")
        // From a trusted proxy (the test runs on 127.0.0.1) the chain grows.
        XCTAssertEqual(echo.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1")
        XCTAssertEqual(echo.headers["x-client-ip"], "203.0.113.9", "the gateway's decision, never the client's header")
        XCTAssertEqual(echo.headers["x-forwarded-proto"], "http")
        XCTAssertEqual(echo.headers["authorization"], "Bearer \(token)", "services verify the token themselves")
        XCTAssertEqual(reply.header("X-Request-ID"), "client-req-42")
        XCTAssertNil(reply.header("X-Upstream-Debug"), "headers the upstream named in Connection are hop-by-hop")
        XCTAssertEqual(reply.header("RateLimit-Limit"), "100")
        XCTAssertEqual(reply.header("X-RateLimit-Limit-Minute"), "100")
    }

    func testForwardedForFromAnUntrustedPeerIsReplaced() async throws {
        let gateway = try await startGateway(extra: ["GATEWAY_TRUSTED_PROXIES": "192.0.2.1"])
        let reply = try await call(.GET, "\(gateway.baseURL)/v1/providers/search?q=aircon", headers: ["X-Forwarded-For": "203.0.113.9"])
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(try reply.echo().headers["x-forwarded-for"], "127.0.0.1")
        XCTAssertEqual(try reply.echo().headers["x-client-ip"], "127.0.0.1")
        XCTAssertTrue(reply.header("X-Request-ID")?.hasPrefix("req-") ?? false, "a request id is made when the client sends none")
        XCTAssertEqual(reply.header("RateLimit-Limit"), "30", "search has its own limit")
    }

    func testInternalUnknownAndAmbiguousPathsNeverReachAService() async throws {
        let gateway = try await startGateway()
        let (token, _) = try await signedIn()
        let auth = ["Authorization": "Bearer \(token)"]
        for path in ["/internal/users/1", "/v1/internal/users", "/v1/nowhere", "/", "/v2/users/me", "/users/me"] {
            let reply = try await call(.GET, gateway.baseURL + path, headers: auth)
            XCTAssertEqual(reply.status, 404, path)
            XCTAssertEqual(reply.errorCode, "NOT_FOUND", path)
            XCTAssertEqual(reply.json()["success"] as? Bool, false)
        }
        for path in ["/v1/users/..%2f..%2finternal%2fusers", "/v1/users/%2e%2e/x", "/v1/users//me", "/v1/users/./me"] {
            let reply = try await call(.GET, gateway.baseURL + path, headers: auth)
            XCTAssertEqual(reply.status, 400, path)
        }
    }

    // MARK: tokens

    func testProtectedRoutesRefuseMissingExpiredForeignAndUnsignedTokens() async throws {
        let gateway = try await startGateway()
        let url = "\(gateway.baseURL)/v1/bookings"
        let identity = TestKeys.identity()
        try await redis.set(SessionKeys.key(identity.sessionId), "1")
        let stranger = Curve25519SigningKey()
        let cases: [(String, [String: String], String)] = [
            ("missing", [:], "UNAUTHORIZED"),
            ("not bearer", ["Authorization": "Basic dXNlcjpwYXNz"], "TOKEN_INVALID"),
            ("garbage", ["Authorization": "Bearer not.a.token"], "TOKEN_INVALID"),
            ("expired", ["Authorization": "Bearer \(try await keys.token(identity: identity, expiresIn: -120))"], "TOKEN_EXPIRED"),
            ("unknown key id", ["Authorization": "Bearer \(try await keys.token(identity: identity, signingKey: stranger, kid: "someone-else"))"], "TOKEN_INVALID"),
            ("our kid, other key", ["Authorization": "Bearer \(try await keys.token(identity: identity, signingKey: stranger))"], "TOKEN_INVALID"),
            ("alg none", ["Authorization": "Bearer \(TestKeys.unsignedToken(identity: identity))"], "TOKEN_INVALID"),
            ("other audience", ["Authorization": "Bearer \(try await keys.token(identity: identity, audience: "another-api"))"], "TOKEN_INVALID"),
        ]
        for (name, headers, code) in cases {
            let reply = try await call(.GET, url, headers: headers.merging(["X-Forwarded-For": uniqueClientIP()]) { a, _ in a })
            XCTAssertEqual(reply.status, 401, name)
            XCTAssertEqual(reply.errorCode, code, name)
            XCTAssertEqual(reply.header("WWW-Authenticate"), "Bearer", name)
        }
        // The good one passes.
        let good = try await call(.GET, url, headers: ["Authorization": "Bearer \(try await keys.token(identity: identity))"])
        XCTAssertEqual(good.status, 200)
    }

    func testEndedSessionIsRefusedAndPublicRoutesNeedNoToken() async throws {
        let gateway = try await startGateway()
        let (token, identity) = try await signedIn()
        let before = try await call(.GET, "\(gateway.baseURL)/v1/notifications", headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(before.status, 200)
        // Logout deletes the session key.
        try await redis.del(SessionKeys.key(identity.sessionId))
        let after = try await call(.GET, "\(gateway.baseURL)/v1/notifications", headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(after.status, 401)
        XCTAssertEqual(after.errorCode, "SESSION_REVOKED")

        for (method, path) in [(HTTPMethod.GET, "/v1/categories"), (.GET, "/v1/providers/3f1c/reviews"), (.GET, "/v1/reviews"),
                               (.POST, "/v1/auth/register"), (.GET, "/v1/auth/.well-known/jwks.json")] {
            let reply = try await call(method, gateway.baseURL + path, headers: ["X-Forwarded-For": uniqueClientIP()])
            XCTAssertEqual(reply.status, 200, "\(method) \(path)")
        }
        // A public path with a protected method still needs a token.
        let create = try await call(.POST, "\(gateway.baseURL)/v1/providers", headers: ["X-Forwarded-For": uniqueClientIP()])
        XCTAssertEqual(create.status, 401)
    }

    // MARK: rate limits

    func testSixthLoginInAMinuteIsRefusedWithHeaders() async throws {
        let gateway = try await startGateway()
        let ip = uniqueClientIP()
        for i in 1...5 {
            let reply = try await call(.POST, "\(gateway.baseURL)/v1/auth/login", headers: ["X-Forwarded-For": ip])
            XCTAssertEqual(reply.status, 200, "login \(i)")
            XCTAssertEqual(reply.header("RateLimit-Limit"), "5")
            XCTAssertEqual(reply.header("RateLimit-Remaining"), String(5 - i))
            XCTAssertEqual(reply.header("X-RateLimit-Remaining-Minute"), String(5 - i))
        }
        let refused = try await call(.POST, "\(gateway.baseURL)/v1/auth/login", headers: ["X-Forwarded-For": ip])
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.errorCode, "RATE_LIMITED")
        XCTAssertEqual(refused.header("RateLimit-Remaining"), "0")
        XCTAssertEqual(refused.header("X-RateLimit-Limit-Minute"), "5")
        let retry = Int(refused.header("Retry-After") ?? "") ?? 0
        // Sliding window: the 5 stay partly counted into the next minute, so
        // the wait can pass 60 s (at most a window plus 4/5 of the next).
        XCTAssertTrue((1...108).contains(retry), "Retry-After \(retry)")
        XCTAssertEqual(refused.header("RateLimit-Reset"), refused.header("Retry-After"))
        // Someone else is not affected.
        let other = try await call(.POST, "\(gateway.baseURL)/v1/auth/login", headers: ["X-Forwarded-For": uniqueClientIP()])
        XCTAssertEqual(other.status, 200)
    }

    func testAValidTokenBuysNoFreshBucketOnCredentialOrPublicRoutes() async throws {
        let gateway = try await startGateway(extra: ["GATEWAY_RATE_LIMIT_SEARCH": "3"])
        let ip = uniqueClientIP()
        // A sock puppet's every account signs in from the same address.
        for i in 1...5 {
            let (token, _) = try await signedIn()
            let reply = try await call(.POST, "\(gateway.baseURL)/v1/auth/login", headers: ["Authorization": "Bearer \(token)", "X-Forwarded-For": ip])
            XCTAssertEqual(reply.status, 200, "login \(i)")
        }
        let (token, _) = try await signedIn()
        let refused = try await call(.POST, "\(gateway.baseURL)/v1/auth/login", headers: ["Authorization": "Bearer \(token)", "X-Forwarded-For": ip])
        XCTAssertEqual(refused.status, 429, "credentials count per address, token or not")

        let searcher = uniqueClientIP()
        for _ in 1...3 {
            let (token, _) = try await signedIn()
            let reply = try await call(.GET, "\(gateway.baseURL)/v1/providers/search?q=x", headers: ["Authorization": "Bearer \(token)", "X-Forwarded-For": searcher])
            XCTAssertEqual(reply.status, 200)
        }
        let scraped = try await call(.GET, "\(gateway.baseURL)/v1/providers/search?q=x", headers: ["Authorization": "Bearer \(try await signedIn().token)", "X-Forwarded-For": searcher])
        XCTAssertEqual(scraped.status, 429, "public routes count per address too")
    }

    func testSignedInCallersAreLimitedPerUserNotPerAddress() async throws {
        let gateway = try await startGateway(extra: ["GATEWAY_RATE_LIMIT_GENERAL": "3"])
        let (token, _) = try await signedIn()
        for i in 1...3 {
            let reply = try await call(.GET, "\(gateway.baseURL)/v1/bookings", headers: ["Authorization": "Bearer \(token)", "X-Forwarded-For": uniqueClientIP()])
            XCTAssertEqual(reply.status, 200, "request \(i)")
        }
        let refused = try await call(.GET, "\(gateway.baseURL)/v1/bookings", headers: ["Authorization": "Bearer \(token)", "X-Forwarded-For": uniqueClientIP()])
        XCTAssertEqual(refused.status, 429, "a new address does not reset a user's budget")
    }

    func testLimitsHoldAcrossTwoGatewaysUnderConcurrency() async throws {
        let a = try await startGateway()
        let b = try await startGateway()
        let ip = uniqueClientIP()
        // 20 logins at once, split over both gateways: exactly 5 pass.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 {
                let base = i % 2 == 0 ? a.baseURL : b.baseURL
                group.addTask { try await call(.POST, "\(base)/v1/auth/login", headers: ["X-Forwarded-For": ip]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 5)
        XCTAssertEqual(statuses.filter { $0 == 429 }.count, 15)
    }

    func testWebhookHasItsOwnGenerousPerAddressLimit() async throws {
        let gateway = try await startGateway(upstreams: ["payment": core.baseURL], extra: [
            "GATEWAY_RATE_LIMIT_GENERAL": "2", "GATEWAY_RATE_LIMIT_AUTH": "2", "GATEWAY_RATE_LIMIT_WEBHOOK": "8"])
        let ip = uniqueClientIP()
        for i in 1...8 {
            let reply = try await call(.POST, "\(gateway.baseURL)/v1/payments/webhook", headers: ["X-Forwarded-For": ip], body: .bytes(ByteBuffer(string: "{}")))
            XCTAssertEqual(reply.status, 200, "webhook \(i): not held to the general limit")
            XCTAssertEqual(reply.header("RateLimit-Limit"), "8")
        }
        let flood = try await call(.POST, "\(gateway.baseURL)/v1/payments/webhook", headers: ["X-Forwarded-For": ip], body: .bytes(ByteBuffer(string: "{}")))
        XCTAssertEqual(flood.status, 429)
        let other = try await call(.POST, "\(gateway.baseURL)/v1/payments/webhook", headers: ["X-Forwarded-For": uniqueClientIP()], body: .bytes(ByteBuffer(string: "{}")))
        XCTAssertEqual(other.status, 200, "per address")
        let big = try await call(.POST, "\(gateway.baseURL)/v1/payments/webhook", headers: ["X-Forwarded-For": uniqueClientIP()],
                                 body: .bytes(ByteBuffer(repeating: UInt8(ascii: "x"), count: (256 << 10) + 1)))
        XCTAssertEqual(big.status, 413, "a webhook body is at most 256 KiB")
    }

    func testRedisDownFailsOpenWithALocalLimitOrClosed() async throws {
        let deadRedis = "redis://127.0.0.1:\(try freePort())/0"
        let metricsPort = try freePort()
        let open = try await startGateway(redisURL: deadRedis, extra: ["GATEWAY_REDIS_OUTAGE": "open", "GATEWAY_METRICS_PORT": String(metricsPort)])
        let ip = uniqueClientIP()
        var statuses: [Int] = []
        for _ in 1...6 {
            statuses.append(try await call(.POST, "\(open.baseURL)/v1/auth/login", headers: ["X-Forwarded-For": ip]).status)
        }
        XCTAssertEqual(statuses, [200, 200, 200, 200, 200, 429], "limited in memory while Redis is away")
        // A signed-in request needs its session checked: no Redis, no pass.
        let (token, _) = try await signedIn()
        let protected = try await call(.GET, "\(open.baseURL)/v1/bookings", headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(protected.status, 503)
        XCTAssertEqual(protected.errorCode, "SERVICE_UNAVAILABLE")
        let metrics = try await call(.GET, "http://127.0.0.1:\(metricsPort)/metrics")
        XCTAssertTrue(String(decoding: metrics.body, as: UTF8.self).contains("gateway_rate_limit_local_fallback_total"))
        // Never on the public port.
        let publicMetrics = try await call(.GET, "\(open.baseURL)/metrics")
        XCTAssertEqual(publicMetrics.status, 404)

        let closed = try await startGateway(redisURL: deadRedis, extra: ["GATEWAY_REDIS_OUTAGE": "closed"])
        let refused = try await call(.POST, "\(closed.baseURL)/v1/auth/login", headers: ["X-Forwarded-For": uniqueClientIP()])
        XCTAssertEqual(refused.status, 503)
    }

    // MARK: upstream failures

    func testUpstreamDownSlowOrBrokenGets503_504_502() async throws {
        let garbage = try await GarbageServer()
        defer { Task { await garbage.close() } }
        let closedPort = try freePort()
        let gateway = try await startGateway(
            upstreams: ["core": core.baseURL, "payment": "http://127.0.0.1:\(closedPort)", "ai": "http://127.0.0.1:\(garbage.port)"],
            extra: ["GATEWAY_UPSTREAM_TIMEOUT_MS": "300"])
        let (token, _) = try await signedIn()
        let auth = ["Authorization": "Bearer \(token)"]

        let down = try await call(.GET, "\(gateway.baseURL)/v1/transactions", headers: auth)
        XCTAssertEqual(down.status, 503)
        XCTAssertEqual(down.errorCode, "SERVICE_UNAVAILABLE")
        XCTAssertNotNil(down.header("RateLimit-Limit"))

        let slow = try await call(.GET, "\(gateway.baseURL)/v1/users/slow", headers: auth)
        XCTAssertEqual(slow.status, 504)
        XCTAssertEqual(slow.errorCode, "GATEWAY_TIMEOUT")

        let broken = try await call(.GET, "\(gateway.baseURL)/v1/ai/trust-score/x", headers: auth)
        XCTAssertEqual(broken.status, 502)
        XCTAssertEqual(broken.errorCode, "BAD_GATEWAY")
        XCTAssertNotNil(broken.json()["meta"])
    }

    func testKilledInstanceTrafficMovesAndComesBack() async throws {
        let portB = try freePort()
        let b = try await startUpstream("core-b", port: portB)
        let portA = try freePort()
        var a: BackgroundApp? = try await startUpstream("core-a2", port: portA)
        let gateway = try await startGateway(
            upstreams: ["core": "\(a!.baseURL),\(b.baseURL)"],
            extra: ["GATEWAY_RATE_LIMIT_GENERAL": "100000"])
        let (token, _) = try await signedIn()
        let auth = ["Authorization": "Bearer \(token)"]

        func burst(_ n: Int) async throws -> [(Int, String)] {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<n {
                    group.addTask {
                        let reply = try await call(.GET, "\(gateway.baseURL)/v1/providers", headers: auth)
                        return (reply.status, (try? reply.echo().instance) ?? "-")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let warm = try await burst(40)
        XCTAssertEqual(Set(warm.map(\.1)), ["core-a2", "core-b"], "both instances serve")

        // Kill A while traffic flows.
        async let during = burst(200)
        try await Task.sleep(for: .milliseconds(20))
        await a?.stop()
        a = nil
        let results = try await during
        XCTAssertEqual(results.filter { $0.0 != 200 }.count, 0, "no failed requests: \(results.filter { $0.0 != 200 })")
        let after = try await burst(50)
        XCTAssertEqual(Set(after.map(\.1)), ["core-b"])
        XCTAssertTrue(after.allSatisfy { $0.0 == 200 })

        // A comes back on its port: the health probe puts it back in rotation.
        _ = try await startUpstream("core-a2", port: portA)
        var seenA = false
        for _ in 0..<50 where !seenA {
            try await Task.sleep(for: .milliseconds(100))
            seenA = try await burst(10).contains { $0.1 == "core-a2" }
        }
        XCTAssertTrue(seenA, "a recovered instance gets traffic again")
    }

    // MARK: bodies, CORS

    func testOversizedBodiesAre413AndLargeUploadsStream() async throws {
        let gateway = try await startGateway(extra: ["GATEWAY_MAX_BODY_BYTES": "1048576", "GATEWAY_MAX_UPLOAD_BYTES": "67108864"])
        let (token, _) = try await signedIn()
        let auth = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]

        let declared = try await call(.POST, "\(gateway.baseURL)/v1/bookings", headers: auth,
                                      body: .bytes(ByteBuffer(repeating: UInt8(ascii: "a"), count: 2 << 20)))
        XCTAssertEqual(declared.status, 413)
        XCTAssertEqual(declared.errorCode, "PAYLOAD_TOO_LARGE")

        // Chunked (no Content-Length): refused once the stream passes the limit.
        let chunked = try await call(.POST, "\(gateway.baseURL)/v1/bookings", headers: auth, body: .stream(Self.chunks(total: 2 << 20), length: .unknown))
        XCTAssertEqual(chunked.status, 413)

        // 50 MB to the file service passes, streamed.
        let total = 50 << 20
        let upload = try await call(.POST, "\(gateway.baseURL)/v1/files/upload", headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/octet-stream"],
                                    body: .stream(Self.chunks(total: total), length: .known(Int64(total))))
        XCTAssertEqual(upload.status, 200)
        XCTAssertEqual(try upload.echo().bodyBytes, total)
    }

    static func chunks(total: Int, size: Int = 64 << 10) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            var sent = 0
            while sent < total {
                let n = min(size, total - sent)
                continuation.yield(ByteBuffer(repeating: UInt8(ascii: "x"), count: n))
                sent += n
            }
            continuation.finish()
        }
    }

    func testCORSPreflightAndSimpleRequests() async throws {
        let gateway = try await startGateway()
        let client = ["X-Forwarded-For": uniqueClientIP()]
        let preflight = try await call(.OPTIONS, "\(gateway.baseURL)/v1/bookings", headers: [
            "Origin": "https://aitrusttrade.ph", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
        ])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("Access-Control-Allow-Origin"), "https://aitrusttrade.ph")
        XCTAssertTrue(preflight.header("Access-Control-Allow-Methods")?.contains("POST") ?? false)
        XCTAssertTrue(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") ?? false)
        XCTAssertNil(preflight.header("RateLimit-Limit"), "preflights are not counted")

        let stranger = try await call(.OPTIONS, "\(gateway.baseURL)/v1/bookings", headers: [
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        ])
        XCTAssertEqual(stranger.status, 403)
        XCTAssertNil(stranger.header("Access-Control-Allow-Origin"))

        let simple = try await call(.GET, "\(gateway.baseURL)/v1/categories", headers: client.merging(["Origin": "https://aitrusttrade.ph"]) { a, _ in a })
        XCTAssertEqual(simple.status, 200)
        XCTAssertEqual(simple.header("Access-Control-Allow-Origin"), "https://aitrusttrade.ph")
        XCTAssertTrue(simple.header("Access-Control-Expose-Headers")?.contains("RateLimit-Remaining") ?? false)

        let refused = try await call(.GET, "\(gateway.baseURL)/v1/bookings", headers: client.merging(["Origin": "https://aitrusttrade.ph"]) { a, _ in a })
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.header("Access-Control-Allow-Origin"), "https://aitrusttrade.ph", "a browser app can read the 401")
    }
}

/// A key nobody published.
func Curve25519SigningKey() -> Curve25519.Signing.PrivateKey { Curve25519.Signing.PrivateKey() }
