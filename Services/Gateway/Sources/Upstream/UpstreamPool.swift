import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceKit
import ServiceLifecycle
import Synchronization
import TrustTradeDTO

/// One instance of a service (`http://10.0.3.7:3000`). Taken out of rotation
/// when it refuses connections; the prober puts it back once `/health` answers.
public final class UpstreamInstance: Sendable, CustomStringConvertible {
    public let service: String
    /// scheme://host:port, no trailing slash
    public let baseURL: String
    /// Parsed from `baseURL` (internal upstreams speak plain HTTP/1.1).
    public let host: String
    public let port: Int
    /// The `Host` header upstream requests carry.
    public let authority: String
    private struct State {
        var healthy = true
        var inFlight = 0
    }
    private let state = Mutex(State())

    public init(service: String, baseURL: String) {
        self.service = service
        let base = baseURL.withoutTrailingSlash
        self.baseURL = base
        var rest = Substring(base)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        let authority = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? String(rest)
        self.authority = authority
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            self.host = String(authority[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            self.port = port
        } else {
            self.host = authority
            self.port = 80
        }
    }

    public var isHealthy: Bool { state.withLock { $0.healthy } }
    var inFlight: Int { state.withLock { $0.inFlight } }
    public var description: String { baseURL }

    func begin() { state.withLock { $0.inFlight += 1 } }
    func end() { state.withLock { $0.inFlight -= 1 } }

    /// Returns true when this call changed the state (for logging once).
    @discardableResult
    func markDown() -> Bool { state.withLock { s in defer { s.healthy = false }; return s.healthy } }
    @discardableResult
    func markUp() -> Bool { state.withLock { s in defer { s.healthy = true }; return !s.healthy } }
}

/// The instances of one service, balanced by least requests in flight,
/// starting from a rotating offset so equal loads share round-robin.
public final class UpstreamGroup: Sendable {
    public let service: String
    public let instances: [UpstreamInstance]
    private let next = Atomic<Int>(0)

    public init(service: String, urls: [String]) {
        self.service = service
        self.instances = urls.map { UpstreamInstance(service: service, baseURL: $0) }
    }

    /// The instance for the next attempt, skipping those already tried. When
    /// every instance is out of rotation, one is tried anyway (a restarted
    /// instance answers before the prober notices; a dead one fails fast).
    public func pick(excluding tried: [UpstreamInstance] = []) -> UpstreamInstance? {
        if let healthy = pick(excluding: tried, healthyOnly: true) { return healthy }
        if tried.isEmpty { return pick(excluding: tried, healthyOnly: false) }
        return nil
    }

    private func pick(excluding tried: [UpstreamInstance], healthyOnly: Bool) -> UpstreamInstance? {
        let n = instances.count
        guard n > 0 else { return nil }
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        var best: UpstreamInstance?
        var bestLoad = Int.max
        for offset in 0..<n {
            let candidate = instances[(start &+ offset) % n]
            guard !healthyOnly || candidate.isHealthy, !tried.contains(where: { $0 === candidate }) else { continue }
            let load = candidate.inFlight
            if load < bestLoad {
                best = candidate
                bestLoad = load
            }
        }
        return best
    }
}

public struct UpstreamRegistry: Sendable {
    public let groups: [String: UpstreamGroup]

    public init(_ urlsByService: [String: [String]]) {
        var groups: [String: UpstreamGroup] = [:]
        for (service, urls) in urlsByService { groups[service] = UpstreamGroup(service: service, urls: urls) }
        self.groups = groups
    }

    public var allInstances: [UpstreamInstance] { groups.values.flatMap(\.instances) }
}

/// Probes instances that were taken out of rotation (GET /health) and puts
/// them back when they answer 200.
public struct UpstreamHealthProber: Service {
    let registry: UpstreamRegistry
    let http: HTTPClient
    let interval: Duration
    let logger: Logger

    public init(registry: UpstreamRegistry, http: HTTPClient, interval: Duration, logger: Logger) {
        self.registry = registry
        self.http = http
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await PeriodicTask(every: interval, logger: logger) { await probeDownInstances() }.run()
    }

    func probeDownInstances() async {
        await withTaskGroup(of: Void.self) { group in
            for instance in registry.allInstances where !instance.isHealthy {
                group.addTask {
                    var request = HTTPClientRequest(url: instance.baseURL + "/health")
                    request.method = .GET
                    guard let response = try? await http.execute(request, timeout: .seconds(2)) else { return }
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                    if response.status == .ok, instance.markUp() {
                        logger.notice("upstream back in rotation", metadata: ["upstream": "\(instance)", "service": "\(instance.service)"])
                        Gauge(label: "gateway_upstream_healthy", dimensions: [("upstream", instance.baseURL)]).record(1)
                    }
                }
            }
        }
    }
}
