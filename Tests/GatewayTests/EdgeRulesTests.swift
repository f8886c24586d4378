import Gateway
import NIOHTTP1
import XCTest

/// The edge's decisions without sockets: framing, the exchange's
/// transitions (above all, when an upstream connection may be reused),
/// head limits, client addresses, connection caps, CORS.
final class EdgeRulesTests: XCTestCase {
    func head(_ method: HTTPMethod, _ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/v1/categories", headers: HTTPHeaders(headers))
    }

    func framing(_ method: HTTPMethod, _ headers: [(String, String)], version: HTTPVersion = .http1_1) -> RequestFraming? {
        try? RequestFraming.of(head(method, headers, version: version)).get()
    }

    func refusal(_ method: HTTPMethod, _ headers: [(String, String)], version: HTTPVersion = .http1_1) -> RequestFraming.Refusal.Kind? {
        if case .failure(let refusal) = RequestFraming.of(head(method, headers, version: version)) { return refusal.kind }
        return nil
    }

    // MARK: framing (RFC 9112 §6)

    func testFramingIsDecidedFromOneUnambiguousHeader() {
        XCTAssertEqual(framing(.POST, []), RequestFraming.none)
        XCTAssertEqual(framing(.POST, [("Content-Length", "0")]), RequestFraming.none)
        XCTAssertEqual(framing(.POST, [("Content-Length", "12")]), .contentLength(12))
        XCTAssertEqual(framing(.POST, [("Content-Length", "12"), ("Content-Length", "12")]), .contentLength(12), "identical repeats are one length")
        XCTAssertEqual(framing(.POST, [("Transfer-Encoding", "chunked")]), .chunked)
        XCTAssertEqual(framing(.POST, [("Transfer-Encoding", "Chunked")]), .chunked, "coding names are case-insensitive")
        XCTAssertEqual(framing(.GET, []), RequestFraming.none)
    }

    func testAmbiguousFramingIsRefused() {
        XCTAssertEqual(refusal(.POST, [("Content-Length", "4"), ("Transfer-Encoding", "chunked")]), .badRequest, "CL.TE / TE.CL")
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "chunked, identity")]), .badRequest)
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]), .badRequest)
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "\u{0B}chunked")]), .badRequest, "vertical tab")
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "chunked;q=1")]), .badRequest)
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "")]), .badRequest)
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "gzip")]), .notImplemented, "an unknown coding")
        XCTAssertEqual(refusal(.POST, [("Transfer-Encoding", "chunked")], version: .http1_0), .badRequest, "TE is not HTTP/1.0")
        XCTAssertEqual(refusal(.POST, [("Content-Length", "1"), ("Content-Length", "2")]), .badRequest)
        XCTAssertEqual(refusal(.POST, [("Content-Length", "1, 2")]), .badRequest)
        for bad in ["-1", "+5", "0x10", " 5", "5 ", "", "99999999999999999999999", "1e3"] {
            XCTAssertEqual(refusal(.POST, [("Content-Length", bad)]), .badRequest, bad)
        }
    }

    func testBodiesOnBodilessMethodsAndTraceConnectAreRefused() {
        for method in [HTTPMethod.GET, .HEAD, .OPTIONS, .DELETE] {
            XCTAssertEqual(refusal(method, [("Content-Length", "5")]), .badRequest, "\(method)")
            XCTAssertEqual(refusal(method, [("Transfer-Encoding", "chunked")]), .badRequest, "\(method): the original smuggling carrier")
            XCTAssertNotNil(framing(method, [("Content-Length", "0")]), "\(method) with an empty body is fine")
        }
        XCTAssertEqual(refusal(.TRACE, []), .methodNotAllowed)
        XCTAssertEqual(refusal(.CONNECT, []), .methodNotAllowed)
    }

    // MARK: the exchange

    func testACleanExchangeReusesItsConnection() {
        var state = ExchangeState(method: .POST, framing: .contentLength(3), isUpgrade: false, maxBody: 10)
        XCTAssertEqual(state.receivedBody(3), .hold, "admitting: kept until connected")
        XCTAssertEqual(state.receivedEnd(), .hold)
        XCTAssertTrue(state.connecting())
        XCTAssertEqual(state.connected(), .send(andEnd: true))
        XCTAssertEqual(state.responseHead(status: 100, keepAlive: true), .ignore)
        XCTAssertEqual(state.responseHead(status: 201, keepAlive: true), .relay)
        XCTAssertEqual(state.responseEnded(), .reuse)
        XCTAssertEqual(state.phase, .done)
    }

    func testAnUpstreamAnswerBeforeTheWholeRequestClosesTheConnection() {
        var state = ExchangeState(method: .POST, framing: .contentLength(100), isUpgrade: false, maxBody: 1000)
        XCTAssertTrue(state.connecting())
        XCTAssertEqual(state.connected(), .send(andEnd: false))
        XCTAssertEqual(state.receivedBody(10), .forward)
        XCTAssertEqual(state.responseHead(status: 413, keepAlive: true), .relay)
        XCTAssertEqual(state.responseEnded(), .close, "the upstream's parser still waits for 90 bytes")
        XCTAssertEqual(state.receivedBody(90), .drop)
    }

    func testAnUpstreamThatClosesKeepAliveOrRefusedUpgradeIsNotReused() {
        var closing = ExchangeState(method: .GET, framing: .none, isUpgrade: false, maxBody: 0)
        _ = closing.receivedEnd()
        _ = closing.connecting()
        _ = closing.connected()
        XCTAssertEqual(closing.responseHead(status: 200, keepAlive: false), .relay)
        XCTAssertEqual(closing.responseEnded(), .close)

        var upgrade = ExchangeState(method: .GET, framing: .none, isUpgrade: true, maxBody: 0)
        _ = upgrade.receivedEnd()
        _ = upgrade.connecting()
        _ = upgrade.connected()
        XCTAssertEqual(upgrade.responseHead(status: 307, keepAlive: true), .relay)
        XCTAssertEqual(upgrade.responseEnded(), .close, "an upgrade's connection serves nobody else")

        var accepted = ExchangeState(method: .GET, framing: .none, isUpgrade: true, maxBody: 0)
        _ = accepted.receivedEnd()
        _ = accepted.connecting()
        _ = accepted.connected()
        XCTAssertEqual(accepted.responseHead(status: 101, keepAlive: true), .openTunnel)
        XCTAssertEqual(accepted.phase, .tunnel)
    }

    func testIllegalUpstreamMovesAreRefused() {
        var plain = ExchangeState(method: .GET, framing: .none, isUpgrade: false, maxBody: 0)
        _ = plain.receivedEnd()
        XCTAssertEqual(plain.responseHead(status: 200, keepAlive: true), .badGateway, "an answer before the request was sent")
        _ = plain.connecting()
        _ = plain.connected()
        XCTAssertEqual(plain.responseHead(status: 101, keepAlive: true), .badGateway, "101 without an upgrade asked")
        XCTAssertEqual(plain.responseHead(status: 200, keepAlive: true), .relay)
        XCTAssertEqual(plain.responseHead(status: 200, keepAlive: true), .badGateway, "a second head")
    }

    func testLosingTheUpstreamRetriesOnlyWhatCanBeSentAgain() {
        var get = ExchangeState(method: .GET, framing: .none, isUpgrade: false, maxBody: 0)
        _ = get.receivedEnd()
        _ = get.connecting()
        _ = get.connected()
        XCTAssertEqual(get.upstreamLost(canReplay: true), .retry)
        XCTAssertEqual(get.phase, .connecting)
        XCTAssertEqual(get.connected(), .send(andEnd: true))
        XCTAssertEqual(get.upstreamLost(canReplay: true), .retry)
        _ = get.connected()
        XCTAssertEqual(get.upstreamLost(canReplay: true), .badGateway, "two retries at most")

        var post = ExchangeState(method: .POST, framing: .contentLength(2), isUpgrade: false, maxBody: 10)
        _ = post.receivedBody(2)
        _ = post.receivedEnd()
        _ = post.connecting()
        _ = post.connected()
        XCTAssertEqual(post.upstreamLost(canReplay: true), .badGateway, "a POST may have been acted on")

        var midAnswer = ExchangeState(method: .GET, framing: .none, isUpgrade: false, maxBody: 0)
        _ = midAnswer.receivedEnd()
        _ = midAnswer.connecting()
        _ = midAnswer.connected()
        _ = midAnswer.responseHead(status: 200, keepAlive: true)
        XCTAssertEqual(midAnswer.upstreamLost(canReplay: true), .cutClient, "a short answer must look broken")
    }

    func testBodyLimitsTimeoutsAndLocalAnswers() {
        var state = ExchangeState(method: .POST, framing: .chunked, isUpgrade: false, maxBody: 10)
        XCTAssertEqual(state.receivedBody(8), .hold)
        XCTAssertEqual(state.receivedBody(3), .tooLarge)

        var slow = ExchangeState(method: .POST, framing: .contentLength(5), isUpgrade: false, maxBody: 10)
        _ = slow.connecting()
        _ = slow.connected()
        XCTAssertEqual(slow.timedOut(), .answer)
        slow.answeredLocally()
        XCTAssertTrue(slow.answeredEarly)
        XCTAssertEqual(slow.receivedBody(5), .drop)
        XCTAssertEqual(slow.receivedEnd(), .finish)
        XCTAssertEqual(slow.timedOut(), .ignore)

        var started = ExchangeState(method: .GET, framing: .none, isUpgrade: false, maxBody: 0)
        _ = started.receivedEnd()
        _ = started.connecting()
        _ = started.connected()
        _ = started.responseHead(status: 200, keepAlive: true)
        XCTAssertEqual(started.timedOut(), .close, "half an answer cannot become a 504")
        XCTAssertEqual(started.clientClosed(), .close)
    }

    // MARK: head limits

    func scan(_ scanner: inout HeadScanner, _ text: String) -> HeadScanner.Outcome {
        Array(text.utf8).withUnsafeBytes { scanner.scan($0) }
    }

    func testHeadScannerLimitsLinesAndHeadAndStopsAtTheBody() {
        let limits = HeadScanner.Limits(maxHeadBytes: 64, maxLineBytes: 32)
        var scanner = HeadScanner(limits: limits)
        XCTAssertEqual(scan(&scanner, "\r\n"), .ok, "empty lines before a request are skipped")
        XCTAssertTrue(scanner.isAwaitingHead)
        XCTAssertEqual(scan(&scanner, "GET /a HTTP/1.1\r\n"), .headStarted)
        XCTAssertEqual(scan(&scanner, "Host: x\r\n\r\n" + String(repeating: "b", count: 500)), .ok, "the body is not a line")
        scanner.requestEnded()
        XCTAssertEqual(scan(&scanner, "GET /" + String(repeating: "a", count: 40)), .lineTooLong)

        var big = HeadScanner(limits: limits)
        XCTAssertEqual(scan(&big, "GET / HTTP/1.1\r\n"), .headStarted)
        var outcome = HeadScanner.Outcome.ok
        for _ in 0..<10 where outcome == .ok { outcome = scan(&big, "X-A: 123456\r\n") }
        XCTAssertEqual(outcome, .headTooLarge)

        var bareLF = HeadScanner(limits: limits)
        _ = scan(&bareLF, "GET / HTTP/1.1\nHost: x\n\n")
        XCTAssertFalse(bareLF.isInHead, "a lone LF ends lines too (the decoder judges it)")
    }

    // MARK: client address

    func testIPRangesMatchV4AndV6() throws {
        let v4 = try XCTUnwrap(IPRange("10.0.0.0/8"))
        XCTAssertTrue(v4.contains("10.255.1.2"))
        XCTAssertFalse(v4.contains("11.0.0.1"))
        XCTAssertFalse(v4.contains("::ffff:11.0.0.1"))
        XCTAssertTrue(v4.contains("::ffff:10.0.0.1"), "IPv4-mapped IPv6 is the same address")
        let one = try XCTUnwrap(IPRange("192.0.2.7"))
        XCTAssertTrue(one.contains("192.0.2.7"))
        XCTAssertFalse(one.contains("192.0.2.8"))
        let v6 = try XCTUnwrap(IPRange("2001:db8::/32"))
        XCTAssertTrue(v6.contains("2001:db8:1::5"))
        XCTAssertFalse(v6.contains("2001:db9::1"))
        XCTAssertTrue(try XCTUnwrap(IPRange("::1")).contains("::1"))
        XCTAssertTrue(try XCTUnwrap(IPRange("0.0.0.0/0")).contains("203.0.113.1"))
        for bad in ["10.0.0.0/33", "10.0.0", "10.0.0.256", "010.0.0.1", "fe80::1%eth0", "2001:db8::/129", "a.b.c.d", "1::2::3", ""] {
            XCTAssertNil(IPRange(bad), bad)
        }
    }

    func testTheClientIsTheRightmostHopThatIsNotOurs() {
        let none = ClientAddressPolicy(trustedProxies: [])
        XCTAssertEqual(none.resolve(peer: "198.51.100.1", forwardedFor: ["1.2.3.4"]).client, "198.51.100.1", "nobody trusted: the peer")

        let policy = ClientAddressPolicy(trustedProxies: [IPRange("10.0.0.0/8")!, IPRange("127.0.0.1")!])
        XCTAssertEqual(policy.resolve(peer: "198.51.100.1", forwardedFor: ["1.2.3.4"]).client, "198.51.100.1", "an untrusted peer's chain is ignored")
        let viaLB = policy.resolve(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 203.0.113.9"])
        XCTAssertEqual(viaLB.client, "203.0.113.9", "the spoofed leftmost entry is not the client")
        XCTAssertEqual(viaLB.forwardedFor, "203.0.113.9, 10.0.0.5")
        XCTAssertTrue(viaLB.viaTrustedProxy)
        XCTAssertEqual(policy.resolve(peer: "10.0.0.5", forwardedFor: ["203.0.113.9, 10.1.1.1", "10.2.2.2"]).client, "203.0.113.9",
                       "several of our proxies, in several headers")
        XCTAssertEqual(policy.resolve(peer: "10.0.0.5", forwardedFor: ["10.1.1.1"]).client, "10.1.1.1", "all ours: the farthest")
        XCTAssertEqual(policy.resolve(peer: "10.0.0.5", forwardedFor: ["evil, 10.1.1.1"]).client, "10.1.1.1", "garbage is not an address")
        XCTAssertEqual(policy.resolve(peer: "10.0.0.5", forwardedFor: []).client, "10.0.0.5")
    }

    // MARK: connections

    func testConnectionCapsPerAddressAndInAll() {
        var counts = ConnectionCounts(maxPerAddress: 2, maxTotal: 3)
        XCTAssertEqual(counts.open("a", exempt: false), .admitted)
        XCTAssertEqual(counts.open("a", exempt: false), .admitted)
        XCTAssertEqual(counts.open("a", exempt: false), .addressFull)
        XCTAssertEqual(counts.open("lb", exempt: true), .admitted, "our proxies carry many clients")
        XCTAssertEqual(counts.open("b", exempt: false), .gatewayFull)
        counts.close("a", exempt: false)
        XCTAssertEqual(counts.open("b", exempt: false), .admitted)
        XCTAssertEqual(counts.open(from: "a"), 1)
        XCTAssertEqual(counts.total, 3)
    }

    // MARK: CORS

    func testAWildcardOriginNeverComesWithCredentials() {
        let wildcard = CORSPolicy(allowedOrigins: ["*", "https://aitrusttrade.ph"])
        let anyone = wildcard.responseHeaders(origin: "https://evil.example")
        XCTAssertTrue(anyone.contains { $0 == ("Access-Control-Allow-Origin", "*") })
        XCTAssertFalse(anyone.contains { $0.0 == "Access-Control-Allow-Credentials" })
        guard case .allowed(let preflight) = wildcard.preflight(origin: "https://evil.example") else { return XCTFail("allowed by *") }
        XCTAssertFalse(preflight.contains { $0.0 == "Access-Control-Allow-Credentials" })
        let listed = wildcard.responseHeaders(origin: "https://aitrusttrade.ph")
        XCTAssertTrue(listed.contains { $0 == ("Access-Control-Allow-Origin", "https://aitrusttrade.ph") })
        XCTAssertTrue(listed.contains { $0 == ("Access-Control-Allow-Credentials", "true") })
    }
}
