import Foundation
import Logging
import Metrics
import Redis
import ServiceKit
import Synchronization

/// What to do when Redis cannot be reached.
public enum RedisOutagePolicy: String, Sendable {
    /// Keep serving, limited per gateway instance by an in-memory window.
    case failOpen = "open"
    /// Refuse with 503: no request passes unlimited.
    case failClosed = "closed"
}

/// The gateway's per-request Redis work: the session check (seed 6.1) and
/// the rate limit (seed 6.2), one script call.
public struct AdmissionResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case admitted
        case rateLimited
        case sessionEnded
        /// Redis is down and the policy is fail-closed (or a session needed checking).
        case unavailable
    }

    public var outcome: Outcome
    /// Nil when the route has no limit.
    public var decision: RateLimitDecision?
}

public struct RateLimiter: Sendable {
    let redis: RedisClient
    let outagePolicy: RedisOutagePolicy
    let local: LocalRateLimiter
    let logger: Logger
    let refusals: Counter
    let fallbacks: Counter

    static let script = RedisScript(RedisScript.bundledSource("rate_limit", in: .module))

    public init(redis: RedisClient, outagePolicy: RedisOutagePolicy, logger: Logger) {
        self.redis = redis
        self.outagePolicy = outagePolicy
        self.local = LocalRateLimiter()
        self.logger = logger
        self.refusals = Counter(label: "gateway_rate_limit_refusals_total")
        self.fallbacks = Counter(label: "gateway_rate_limit_local_fallback_total")
    }

    /// Counts one request of `subject` (`user:<id>` or `ip:<addr>`) in `routeClass`
    /// and, for a signed-in caller, checks that the session is still alive.
    public func admit(subject: String, routeClass: RouteClass, policy: RateLimitPolicy?, sessionId: String?) async -> AdmissionResult {
        if policy == nil && sessionId == nil { return AdmissionResult(outcome: .admitted, decision: nil) }
        let prefix = "rate_limit:\(subject):\(routeClass.rawValue)"
        var keys = [prefix]
        if let sessionId { keys.append(SessionKeys.key(sessionId)) }
        do {
            let reply = try await redis.run(
                Self.script, keys: keys,
                args: [RedisArgument(policy?.limit ?? 0), RedisArgument(policy?.windowSeconds ?? 60)]
            )
            guard case .array(let parts) = reply, parts.count == 4,
                  let status = parts[0].int, let previous = parts[1].int, let current = parts[2].int, let elapsed = parts[3].int
            else { throw RedisError.unexpectedReply("rate_limit.lua answered \(reply)") }
            if status == -1 { return AdmissionResult(outcome: .sessionEnded, decision: nil) }
            guard let policy else { return AdmissionResult(outcome: .admitted, decision: nil) }
            let decision = SlidingWindow.decision(
                previous: Int(previous), current: Int(current), elapsedMs: Int(elapsed), policy: policy, allowed: status == 1)
            if !decision.allowed { refusals.increment() }
            return AdmissionResult(outcome: decision.allowed ? .admitted : .rateLimited, decision: decision)
        } catch {
            return fallback(key: prefix, policy: policy, sessionId: sessionId, error: error)
        }
    }

    private func fallback(key: String, policy: RateLimitPolicy?, sessionId: String?, error: any Error) -> AdmissionResult {
        // A revoked session cannot be told from a live one without Redis:
        // signed-in requests wait for Redis whatever the rate-limit policy.
        if sessionId != nil || outagePolicy == .failClosed {
            logger.error("redis unavailable: refusing", metadata: ["error": "\(error)"])
            return AdmissionResult(outcome: .unavailable, decision: nil)
        }
        fallbacks.increment()
        logger.warning("redis unavailable: rate limiting in memory", metadata: ["error": "\(error)"])
        guard let policy else { return AdmissionResult(outcome: .admitted, decision: nil) }
        let decision = local.admit(key: key, policy: policy, nowMs: Int(Date().timeIntervalSince1970 * 1000))
        if !decision.allowed { refusals.increment() }
        return AdmissionResult(outcome: decision.allowed ? .admitted : .rateLimited, decision: decision)
    }
}

/// The same sliding window, in this process only: the fail-open fallback.
/// Bounded: entries of windows that ended are pruned as it grows.
public final class LocalRateLimiter: Sendable {
    private struct Entry {
        var window: Int
        var previous: Int
        var current: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let maxEntries: Int

    public init(maxEntries: Int = 100_000) {
        self.maxEntries = maxEntries
    }

    public func admit(key: String, policy: RateLimitPolicy, nowMs: Int) -> RateLimitDecision {
        let windowMs = policy.windowSeconds * 1000
        let window = nowMs / windowMs
        let elapsed = nowMs - window * windowMs
        return entries.withLock { entries in
            var entry = entries[key] ?? Entry(window: window, previous: 0, current: 0)
            if entry.window != window {
                entry = Entry(window: window, previous: entry.window == window - 1 ? entry.current : 0, current: 0)
            }
            let decision = SlidingWindow.decide(previous: entry.previous, current: entry.current, elapsedMs: elapsed, policy: policy)
            if decision.allowed { entry.current += 1 }
            if entries.count >= maxEntries { entries = entries.filter { $0.value.window >= window - 1 } }
            entries[key] = entry
            return decision
        }
    }
}
