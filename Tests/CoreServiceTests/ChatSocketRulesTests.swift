import CoreService
import Foundation
import ServiceKit
import TrustTradeDTO
import XCTest

/// The live socket's pure rules: the frame bucket, ticket grants, when a
/// socket looks at its session again, and which revocation ends which socket.
final class ChatSocketRulesTests: XCTestCase {
    func testTheBucketLetsABurstThroughThenTheRateAndRefillsNoFurtherThanTheBurst() {
        let t0 = ContinuousClock.now
        var bucket = FrameBucket(ratePerSecond: 20, burst: 40, now: t0)
        for i in 1...40 { XCTAssertTrue(bucket.take(at: t0), "frame \(i) of the burst") }
        XCTAssertFalse(bucket.take(at: t0), "the 41st at once is over")

        // 20/s: one frame every 50 ms.
        XCTAssertFalse(bucket.take(at: t0 + .milliseconds(49)))
        XCTAssertTrue(bucket.take(at: t0 + .milliseconds(50)))
        XCTAssertFalse(bucket.take(at: t0 + .milliseconds(60)))
        XCTAssertTrue(bucket.take(at: t0 + .milliseconds(110)))

        // A long quiet spell buys the burst again, not more.
        let later = t0 + .seconds(60)
        for _ in 1...40 { XCTAssertTrue(bucket.take(at: later)) }
        XCTAssertFalse(bucket.take(at: later))
    }

    func testASteadySenderAtTheRateIsNeverRefusedAndOneAboveItIs() {
        let t0 = ContinuousClock.now
        var steady = FrameBucket(ratePerSecond: 20, burst: 40, now: t0)
        for i in 0..<1000 { XCTAssertTrue(steady.take(at: t0 + .milliseconds(50 * i))) }

        // 40 frames a second: the burst lasts about two seconds, then refusals.
        var fast = FrameBucket(ratePerSecond: 20, burst: 40, now: t0)
        let firstRefusal = (0..<1000).first { !fast.take(at: t0 + .milliseconds(25 * $0)) }
        XCTAssertEqual(firstRefusal.map { Double($0) * 0.025 } ?? 0, 2.0, accuracy: 0.1)
    }

    func testAClockThatGoesBackAddsNothing() {
        let t0 = ContinuousClock.now
        var bucket = FrameBucket(ratePerSecond: 1, burst: 1, now: t0 + .seconds(5))
        XCTAssertTrue(bucket.take(at: t0 + .seconds(5)))
        XCTAssertFalse(bucket.take(at: t0), "an earlier instant refills nothing")
        XCTAssertTrue(bucket.take(at: t0 + .seconds(6)))
    }

    func testATicketLivesThirtySecondsAndNeverBeyondItsToken() {
        let identity = Identity(userId: UUID(), email: "pedro@example.ph", userType: .provider, sessionId: UUID().uuidString.lowercased())
        let now = Date()
        let grant = ChatTicketGrant(identity: identity, tokenExpiresAt: now.addingTimeInterval(900), now: now)
        XCTAssertEqual(grant.expiresAt, now.addingTimeInterval(30))
        XCTAssertEqual(grant.identity, identity, "bound to the person, their kind and their session")
        XCTAssertTrue(grant.admits(at: now))
        XCTAssertTrue(grant.admits(at: now.addingTimeInterval(29.9)))
        XCTAssertFalse(grant.admits(at: now.addingTimeInterval(30)), "expired")

        let late = ChatTicketGrant(identity: identity, tokenExpiresAt: now.addingTimeInterval(10), now: now)
        XCTAssertEqual(late.expiresAt, now.addingTimeInterval(10), "a token with 10 s left buys a ticket of 10 s")
        XCTAssertFalse(late.admits(at: now.addingTimeInterval(10)))

        // What Redis keeps round-trips.
        let decoded = try? JSONDecoder().decode(ChatTicketGrant.self, from: JSONEncoder().encode(grant))
        XCTAssertEqual(decoded, grant)
    }

    func testASocketChecksItsSessionEveryIntervalUntilItsTokenExpires() {
        let now = Date()
        let watch = ChatSessionWatch(tokenExpiresAt: now.addingTimeInterval(75), checkInterval: 30)
        XCTAssertEqual(watch.next(after: now), .checkSession(at: now.addingTimeInterval(30)))
        XCTAssertEqual(watch.next(after: now.addingTimeInterval(30)), .checkSession(at: now.addingTimeInterval(60)))
        XCTAssertEqual(watch.next(after: now.addingTimeInterval(60)), .tokenExpires(at: now.addingTimeInterval(75)))
        XCTAssertEqual(watch.next(after: now.addingTimeInterval(80)), .tokenExpires(at: now.addingTimeInterval(75)), "already expired: at once")
    }

    func testARevocationEndsItsSessionOrEverySessionOfItsPerson() throws {
        let user = UUID(), session = UUID(), other = UUID()
        let one = try XCTUnwrap(SessionRevocation(payload: SessionRevocation(userId: user, sessionId: session).payload))
        XCTAssertTrue(one.ends(userId: user, sessionId: session.uuidString))
        XCTAssertTrue(one.ends(userId: user, sessionId: session.uuidString.lowercased()))
        XCTAssertFalse(one.ends(userId: user, sessionId: other.uuidString.lowercased()), "another device of the same person stays")
        XCTAssertFalse(one.ends(userId: UUID(), sessionId: session.uuidString.lowercased()))

        let all = try XCTUnwrap(SessionRevocation(payload: SessionRevocation(userId: user, sessionId: nil).payload))
        XCTAssertTrue(all.ends(userId: user, sessionId: session.uuidString.lowercased()))
        XCTAssertTrue(all.ends(userId: user, sessionId: other.uuidString.lowercased()))
        XCTAssertFalse(all.ends(userId: UUID(), sessionId: session.uuidString.lowercased()))

        XCTAssertNil(SessionRevocation(payload: "not json"))
    }

    func testCloseCodes() {
        XCTAssertEqual(ChatSocketClosure.sessionEnded.code, 4401)
        XCTAssertEqual(ChatSocketClosure.tooManyFrames.code, 1008)
    }
}
