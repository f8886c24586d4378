import Foundation
import Redis
import TestSupport
import XCTest

/// Starts its own throwaway redis-server, kills it (SHUTDOWN NOSAVE), starts it again,
/// and checks that the same RedisClient (and a subscription) work again.
final class RedisRestartTests: XCTestCase {
    func redisServerPath() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    func startServer(_ binary: String, port: Int, dir: URL) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", dir.path, "--daemonize", "no", "--requirepass", "restart-secret",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func waitUntilUp(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let c = try? await RedisConnection.connect(configuration: RedisConfiguration(url: "redis://:restart-secret@127.0.0.1:\(port)")) {
                await c.close()
                return
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("redis-server on port \(port) did not come up")
    }

    func testClientWorksAgainAfterServerRestart() async throws {
        guard let binary = redisServerPath() else { throw XCTSkip("redis-server is not on PATH") }
        let port = try freePort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redis-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var server = try startServer(binary, port: port, dir: dir)
        defer { if server.isRunning { server.terminate() } }
        try await waitUntilUp(port: port)

        let client = try RedisClient(url: "redis://:restart-secret@127.0.0.1:\(port)/2", poolSize: 2)
        try await client.set("k", "before")
        assertEqual(try await client.get("k"), "before")
        let sub = try await client.subscribe(channels: ["events"])
        var messages = sub.makeAsyncIterator()
        assertEqual(try await client.publish("events", "m1"), 1)
        assertEqual(try await messages.next()?.string, "m1")

        // a command blocked in flight when the server dies fails with connectionClosed
        let inFlight = Task { try await client.blpop(["never"], timeout: 0) }
        try await Task.sleep(nanoseconds: 100_000_000)

        // kill the server
        let admin = try await RedisConnection.connect(configuration: RedisConfiguration(url: "redis://:restart-secret@127.0.0.1:\(port)"))
        _ = try? await admin.send("SHUTDOWN", "NOSAVE")
        await admin.close()
        server.waitUntilExit()

        do {
            _ = try await inFlight.value
            XCTFail("expected the in-flight command to fail")
        } catch RedisError.connectionClosed {
        }
        do {
            _ = try await client.get("k")
            XCTFail("server is down; expected an error")
        } catch let e as RedisError {
            switch e {
            case .connectionClosed, .connectionFailed: break
            default: XCTFail("unexpected \(e)")
            }
        }

        // start again (fresh, empty) on the same port
        server = try startServer(binary, port: port, dir: dir)
        try await waitUntilUp(port: port)

        // the same client works again (allow for the reconnect backoff window)
        let deadline = ContinuousClock.now + .seconds(5)
        var recovered = false
        while ContinuousClock.now < deadline {
            if (try? await client.set("k", "after")) == true {
                recovered = true
                break
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTAssertTrue(recovered, "client did not recover after the restart")
        assertEqual(try await client.get("k"), "after")
        // SELECT is applied again on the new connections
        let info = try await client.send("CLIENT", "INFO").string ?? ""
        XCTAssertTrue(info.contains("db=2"), info)
        // all pool slots work
        for _ in 0..<10 { assertEqual(try await client.ping(), "PONG") }

        // the subscription re-subscribed by itself
        let resubDeadline = ContinuousClock.now + .seconds(5)
        var receivers = 0
        while ContinuousClock.now < resubDeadline {
            receivers = try await client.publish("events", "m2")
            if receivers == 1 { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTAssertEqual(receivers, 1)
        assertEqual(try await messages.next()?.string, "m2")

        await sub.close()
        await client.close()
        let admin2 = try await RedisConnection.connect(configuration: RedisConfiguration(url: "redis://:restart-secret@127.0.0.1:\(port)"))
        _ = try? await admin2.send("SHUTDOWN", "NOSAVE")
        await admin2.close()
        server.waitUntilExit()
    }
}
