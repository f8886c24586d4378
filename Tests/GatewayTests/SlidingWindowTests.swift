import Gateway
import HTTPTypes
import XCTest

/// The sliding-window arithmetic (shared by the Redis script and the
/// in-memory fallback) and the routing table, without I/O.
final class SlidingWindowTests: XCTestCase {
    let perMinute = RateLimitPolicy(limit: 5, windowSeconds: 60)

    func testFreshWindowCountsDown() {
        var current = 0
        for expected in [4, 3, 2, 1, 0] {
            let d = SlidingWindow.decide(previous: 0, current: current, elapsedMs: 1_000, policy: perMinute)
            XCTAssertTrue(d.allowed)
            XCTAssertEqual(d.remaining, expected)
            XCTAssertEqual(d.resetSeconds, 59)
            current += 1
        }
        let refused = SlidingWindow.decide(previous: 0, current: 5, elapsedMs: 1_000, policy: perMinute)
        XCTAssertFalse(refused.allowed)
        // Nothing in the previous window: wait for the next one, then 4/5 of it.
        XCTAssertEqual(refused.retryAfterSeconds, 59 + 12)
    }

    func testPreviousWindowWeighsByOverlap() {
        // 5 last window, 15 s into this one: 5·45/60 = 3.75 seen → one more fits.
        let d = SlidingWindow.decide(previous: 5, current: 0, elapsedMs: 15_000, policy: perMinute)
        XCTAssertTrue(d.allowed)
        XCTAssertEqual(d.remaining, 0)
        // 5 last window and 1 now at 15 s: 4.75 + 1 > 5 → wait until 5·(45−t)/60 + 1 + 1 ≤ 5 → t = 9 s.
        let refused = SlidingWindow.decide(previous: 5, current: 1, elapsedMs: 15_000, policy: perMinute)
        XCTAssertFalse(refused.allowed)
        XCTAssertEqual(refused.retryAfterSeconds, 9)
        // After waiting exactly that long it passes.
        XCTAssertTrue(SlidingWindow.decide(previous: 5, current: 1, elapsedMs: 24_000, policy: perMinute).allowed)
        XCTAssertFalse(SlidingWindow.decide(previous: 5, current: 1, elapsedMs: 23_000, policy: perMinute).allowed)
    }

    func testLocalLimiterHoldsTheLimitAndRollsOver() {
        let local = LocalRateLimiter()
        let t0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000)
        let allowed = (0..<8).map { local.admit(key: "k", policy: perMinute, nowMs: t0 + $0).allowed }
        XCTAssertEqual(allowed.filter { $0 }.count, 5)
        // Two windows later everything is forgotten.
        XCTAssertTrue(local.admit(key: "k", policy: perMinute, nowMs: t0 + 120_001).allowed)
    }

    func testRouteTable() {
        let table = RouteTable.standard
        func route(_ method: HTTPRequest.Method, _ path: String) -> RouteDecision? { try? table.route(method: method, path: path).get() }
        XCTAssertEqual(route(.post, "/v1/auth/login")?.routeClass, .auth)
        XCTAssertEqual(route(.post, "/v1/auth/login")?.isPublic, true)
        XCTAssertEqual(route(.get, "/v1/auth/me")?.routeClass, .general)
        XCTAssertEqual(route(.get, "/v1/auth/me")?.isPublic, false)
        XCTAssertEqual(route(.get, "/v1/providers/search")?.routeClass, .search)
        XCTAssertEqual(route(.get, "/v1/providers/search/")?.routeClass, .search)
        XCTAssertEqual(route(.post, "/v1/providers")?.isPublic, false)
        XCTAssertEqual(route(.get, "/v1/providers")?.isPublic, true)
        XCTAssertEqual(route(.head, "/v1/categories")?.isPublic, true)
        XCTAssertEqual(route(.post, "/v1/payments/webhook")?.routeClass, .webhook)
        XCTAssertEqual(route(.post, "/v1/files/upload")?.routeClass, .upload)
        XCTAssertEqual(route(.get, "/v1/escrow/1")?.service, "payment")
        XCTAssertEqual(route(.get, "/v1/ai/trust-score/1")?.service, "ai")
        XCTAssertNil(route(.get, "/internal/users/1"))
        XCTAssertNil(route(.get, "/v1"))
        XCTAssertEqual(table.route(method: .get, path: "/v1/users/%2E%2E/internal"), .failure(.ambiguousPath))
        XCTAssertEqual(table.route(method: .get, path: "/v1/users/a%5cb"), .failure(.ambiguousPath))
        XCTAssertEqual(table.route(method: .get, path: "/v1/users/%252e"), .failure(.ambiguousPath))
    }
}
