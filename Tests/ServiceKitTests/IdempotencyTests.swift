import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Redis
import ServiceKit
import Synchronization
import TestSupport
import XCTest

/// The Idempotency-Key contract against a real Redis, with a handler that
/// hangs the first time, as an instance does that was killed mid-request.
final class IdempotencyTests: XCTestCase {
    func testARequestLeftRunningByADeadInstanceBlocksRetriesOnlyForTheLease() async throws {
        let redis = try RedisClient(url: TestEnvironment.redisURL(db: 26))
        let calls = Mutex(0)
        let router = Router.service(AppRequestContext.self)
        router.group("pay").add(middleware: IdempotencyMiddleware<AppRequestContext>(
            redis: redis, service: "kit-\(UUID().uuidString)", lifetimeSeconds: 60, runningLeaseSeconds: 1))
            .post { _, _ -> Envelope<[String: Int]> in
                let n = calls.withLock { $0 += 1; return $0 }
                // The first one never answers in time: its instance is "gone".
                if n == 1 { try await Task.sleep(for: .seconds(30)) }
                return Envelope(["call": n], status: .created)
            }
        var logger = Logger(label: "idempotency")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.router) { client in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "payout-42", .contentType: "application/json"]
            let body = ByteBuffer(string: #"{"amount":150000}"#)
            let lost = Task { try await client.execute(uri: "/pay", method: .post, headers: headers, body: body) { $0.status } }
            while calls.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }

            let meanwhile = try await client.execute(uri: "/pay", method: .post, headers: headers, body: body) { $0 }
            XCTAssertEqual(meanwhile.status, .conflict, "while the first may still be running, a retry waits")

            try await Task.sleep(for: .milliseconds(1300))
            let retried = try await client.execute(uri: "/pay", method: .post, headers: headers, body: body) { $0 }
            XCTAssertEqual(retried.status, .created, "after the lease the retry runs, not a day of 409s")
            let replay = try await client.execute(uri: "/pay", method: .post, headers: headers, body: body) { $0 }
            XCTAssertEqual(replay.status, .created)
            XCTAssertEqual(replay.headers[HTTPField.Name("Idempotent-Replayed")!], "true")
            XCTAssertEqual(String(buffer: replay.body), String(buffer: retried.body), "the finished answer is kept and replayed")
            XCTAssertEqual(calls.withLock { $0 }, 2)
            lost.cancel()
        }
    }
}
