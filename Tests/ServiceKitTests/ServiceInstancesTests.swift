import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import ServiceKit
import XCTest

/// `*_BASE_URL` as a list of instances: the internal client moves on to the
/// next instance when a connection cannot be made (any method) or, for a
/// GET, when it dropped before the answer; never for a POST that may have
/// reached the service.
final class ServiceInstancesTests: XCTestCase {
    func testOneURLOrACommaSeparatedList() {
        XCTAssertEqual(ServiceInstances("http://127.0.0.1:3001").baseURLs, ["http://127.0.0.1:3001"])
        XCTAssertEqual(ServiceInstances(" http://a:1/ , ,http://b:2//").baseURLs, ["http://a:1", "http://b:2"])
        XCTAssertEqual(ServiceInstances("http://a:1,http://b:2").description, "http://a:1,http://b:2")
    }

    func testRoundRobinWithUnreachableInstancesLast() async throws {
        let instances = ServiceInstances("http://a:1,http://b:2,http://c:3", downFor: .seconds(60))
        XCTAssertEqual(instances.attemptOrder(), [0, 1, 2])
        XCTAssertEqual(instances.attemptOrder(), [1, 2, 0])
        XCTAssertEqual(instances.attemptOrder(), [2, 0, 1])
        // b refuses connections: it is tried last from now on.
        var tried: [String] = []
        let answer: String = try await instances.execute(method: .POST) { base in
            tried.append(base)
            if base == "http://b:2" { throw HTTPClientError.connectTimeout }
            return base
        }
        XCTAssertEqual(tried, ["http://a:1"])
        tried = []
        _ = try await instances.execute(method: .POST) { base -> String in
            tried.append(base)
            if base == "http://b:2" { throw HTTPClientError.connectTimeout }
            return base
        }
        XCTAssertEqual(tried, ["http://b:2", "http://c:3"])
        XCTAssertEqual(answer, "http://a:1")
        XCTAssertEqual(instances.attemptOrder(), [2, 0, 1])
        XCTAssertEqual(instances.attemptOrder(), [0, 2, 1], "b is down: last")
    }

    func testWhichFailuresMoveOn() {
        XCTAssertTrue(ServiceInstances.mayTryAnother(after: HTTPClientError.connectTimeout, method: .POST))
        XCTAssertTrue(ServiceInstances.mayTryAnother(after: IOError(errnoCode: ECONNREFUSED, reason: "connect"), method: .POST))
        XCTAssertTrue(ServiceInstances.mayTryAnother(after: HTTPClientError.remoteConnectionClosed, method: .GET))
        XCTAssertFalse(ServiceInstances.mayTryAnother(after: HTTPClientError.remoteConnectionClosed, method: .POST),
                       "a POST that was sent may have been done")
        XCTAssertFalse(ServiceInstances.mayTryAnother(after: IOError(errnoCode: ECONNRESET, reason: "read"), method: .PUT))
        XCTAssertFalse(ServiceInstances.mayTryAnother(after: HTTPClientError.deadlineExceeded, method: .GET), "a slow answer is not retried")
        XCTAssertFalse(ServiceInstances.mayTryAnother(after: InternalCallError(status: 503, error: nil), method: .GET), "an answer is the answer")
    }

    /// A port nobody listens on (bound, then closed).
    static func deadPort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    func testTheInternalClientGoesPastADeadInstanceAtOnce() async throws {
        try await kitApp().test(.live) { client in
            let live = "http://127.0.0.1:\(try XCTUnwrap(client.port))"
            let dead = "http://127.0.0.1:\(try Self.deadPort())"
            let caller = InternalClient(serviceName: "test", credential: ServiceCredential(secret: "s3cret"))
            let instances = ServiceInstances("\(dead),\(live)")
            let started = ContinuousClock.now
            for i in 0..<6 {
                let echoed: [String: String] = try await caller.get("/internal/whoami", from: instances, requestId: "req-\(i)")
                XCTAssertEqual(echoed["requestId"], "req-\(i)")
                let widget: Widget = try await caller.post("/widgets", to: instances, body: Widget(id: i + 1, name: "w"), requestId: "req-p\(i)")
                XCTAssertEqual(widget.id, i + 1)
            }
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "a refused connection is not waited on")

            // Only dead instances: the connection error comes back, quickly.
            do {
                let _: [String: String] = try await caller.get("/internal/whoami", from: ServiceInstances("\(dead),\(dead)"), requestId: "r")
                XCTFail("nobody answers")
            } catch {
                XCTAssertTrue(ServiceInstances.connectionNotMade(error), "\(error)")
            }
            // One URL behaves as before: one attempt, its answer.
            do {
                let _: Widget = try await caller.post("/widgets", to: ServiceInstances(live), body: Widget(id: -1, name: "w"), requestId: "r")
                XCTFail("must be refused")
            } catch let error as InternalCallError {
                XCTAssertEqual(error.status, 400)
            }
        }
    }

    func testAGetMovesOnWhenTheConnectionDropsButAPostDoesNot() async throws {
        let hangUps = NIOLockedValueBox(0)
        // Takes the request, then closes without an answer (an instance killed mid-request).
        let dropper = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(HangUp(count: hangUps)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let dropping = "http://127.0.0.1:\(dropper.localAddress!.port!)"
        try await kitApp().test(.live) { client in
            let live = "http://127.0.0.1:\(try XCTUnwrap(client.port))"
            let caller = InternalClient(serviceName: "test", credential: ServiceCredential(secret: "s3cret"))
            let echoed: [String: String] = try await caller.get("/internal/whoami", from: ServiceInstances("\(dropping),\(live)"), requestId: "req-get")
            XCTAssertEqual(echoed["requestId"], "req-get")
            do {
                let _: Widget = try await caller.post("/widgets", to: ServiceInstances("\(dropping),\(live)"), body: Widget(id: 7, name: "w"), requestId: "r")
                XCTFail("a POST the instance took is not sent again elsewhere")
            } catch {
                XCTAssertTrue(ServiceInstances.connectionDropped(error), "\(error)")
            }
        }
        try await dropper.close()
        XCTAssertEqual(hangUps.withLockedValue { $0 }, 2)
    }
}

final class HangUp: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let count: NIOLockedValueBox<Int>
    var closed = false
    init(count: NIOLockedValueBox<Int>) { self.count = count }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        closed = true
        count.withLockedValue { $0 += 1 }
        context.close(promise: nil)
    }
}

