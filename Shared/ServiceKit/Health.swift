import Foundation
import Hummingbird
import Metrics
import Prometheus
import Synchronization
import TrustTradeDTO

/// One dependency `/ready` checks (Postgres, Redis, ...).
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> Void

    public init(_ name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}

/// The process-wide Prometheus registry behind swift-metrics. Bootstrapped
/// once per process (swift-metrics allows no second bootstrap).
public enum ServiceMetrics {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }
}

public struct ReadinessReport: Codable, Sendable {
    public var status: String
    public var checks: [String: String]

    public init(status: String, checks: [String: String]) {
        self.status = status
        self.checks = checks
    }
}

extension Router where Context: ServiceRequestContext {
    /// `/health` (the process is alive), `/ready` (its dependencies answer),
    /// `/metrics` (Prometheus text).
    public func addOperationalRoutes(service: String, checks: [ReadinessCheck]) {
        get("/health") { _, _ in
            Envelope(["status": "ok", "service": service])
        }
        get("/ready") { _, _ -> Response in
            var results: [String: String] = [:]
            var ready = true
            await withTaskGroup(of: (String, String?).self) { group in
                for check in checks {
                    group.addTask {
                        do {
                            try await withTimeout(.seconds(2)) { try await check.check() }
                            return (check.name, nil)
                        } catch {
                            return (check.name, String(describing: error))
                        }
                    }
                }
                for await (name, failure) in group {
                    results[name] = failure == nil ? "ok" : "unavailable"
                    if failure != nil { ready = false }
                }
            }
            let report = ReadinessReport(status: ready ? "ready" : "not ready", checks: results)
            if ready { return try jsonResponse(SuccessEnvelope(data: report, meta: ResponseMeta(requestId: "ready")), status: .ok) }
            let body = ErrorEnvelope(
                error: ErrorBody(code: .serviceUnavailable, message: "Not ready: " + results.filter { $0.value != "ok" }.keys.sorted().joined(separator: ", ")),
                meta: ResponseMeta(requestId: "ready")
            )
            return try jsonResponse(body, status: .serviceUnavailable)
        }
        get("/metrics") { _, _ -> Response in
            let bytes = ServiceMetrics.registry.emitToBuffer()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public var description: String { "timed out" }
}

/// Runs `work`, giving up after `duration`.
public func withTimeout<T: Sendable>(_ duration: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError()
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}
