/// A limit: `limit` requests per `window` (seed 6.2: per minute). `nil` limit
/// means unlimited (webhooks).
public struct RateLimitPolicy: Sendable, Equatable {
    public var limit: Int
    public var windowSeconds: Int

    public init(limit: Int, windowSeconds: Int = 60) {
        self.limit = limit
        self.windowSeconds = windowSeconds
    }
}

/// The outcome of counting one request, and what the headers say.
public struct RateLimitDecision: Sendable, Equatable {
    public var allowed: Bool
    public var limit: Int
    public var remaining: Int
    /// Seconds until the budget grows again (the current window's end when
    /// allowed; the wait before a retry can pass when refused).
    public var resetSeconds: Int
    /// Only when refused.
    public var retryAfterSeconds: Int?

    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The sliding-window counter (as Kong's "sliding" strategy and Cloudflare
/// do it): two fixed-window counters, the previous one weighted by how much of
/// it still overlaps the last `window`. O(1) memory per key; exact at window
/// edges to within the previous window's uneven spread.
///
/// The Redis script `rate_limit.lua` runs the same arithmetic atomically;
/// this copy serves the in-memory fallback when Redis is down, and the tests.
public enum SlidingWindow {
    /// - Parameters:
    ///   - previous, current: requests counted in the previous and current fixed window
    ///   - elapsedMs: time since the current window started
    /// - Returns: the decision, and whether to count this request.
    public static func decide(previous: Int, current: Int, elapsedMs: Int, policy: RateLimitPolicy) -> RateLimitDecision {
        let allowed = estimate(previous: previous, current: current, elapsedMs: elapsedMs, policy: policy) + 1 <= Double(policy.limit)
        return decision(previous: previous, current: current, elapsedMs: elapsedMs, policy: policy, allowed: allowed)
    }

    /// Requests seen in the last window, as the script computes it (same order
    /// of operations, so both sides agree to the last bit).
    public static func estimate(previous: Int, current: Int, elapsedMs: Int, policy: RateLimitPolicy) -> Double {
        let windowMs = Double(policy.windowSeconds * 1000)
        return Double(previous) * (windowMs - Double(elapsedMs)) / windowMs + Double(current)
    }

    /// The headers' numbers for a decision already taken (by the script).
    public static func decision(previous: Int, current: Int, elapsedMs: Int, policy: RateLimitPolicy, allowed: Bool) -> RateLimitDecision {
        let windowMs = policy.windowSeconds * 1000
        let limit = policy.limit
        let estimate = estimate(previous: previous, current: current, elapsedMs: elapsedMs, policy: policy)
        if allowed {
            let remaining = max(0, Int((Double(limit) - estimate - 1).rounded(.down)))
            return RateLimitDecision(allowed: true, limit: limit, remaining: remaining, resetSeconds: ceilSeconds(windowMs - elapsedMs), retryAfterSeconds: nil)
        }
        let waitMs = waitUntilAllowed(previous: previous, current: current, elapsedMs: elapsedMs, windowMs: windowMs, limit: limit)
        let seconds = max(1, ceilSeconds(waitMs))
        return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: seconds, retryAfterSeconds: seconds)
    }

    /// The shortest wait after which one more request fits.
    static func waitUntilAllowed(previous: Int, current: Int, elapsedMs: Int, windowMs: Int, limit: Int) -> Int {
        let w = Double(windowMs)
        if current + 1 <= limit, previous > 0 {
            // Still this window: previous·(w − elapsed − t)/w + current + 1 ≤ limit
            let t = (w - Double(elapsedMs)) - Double(limit - current - 1) * w / Double(previous)
            return max(0, Int(t.rounded(.up)))
        }
        // Next window: current becomes previous; current·(w − s)/w + 1 ≤ limit
        let untilNext = windowMs - elapsedMs
        guard current > 0, limit >= 1 else { return untilNext }
        let s = w - Double(limit - 1) * w / Double(current)
        return untilNext + max(0, Int(s.rounded(.up)))
    }

    static func ceilSeconds(_ ms: Int) -> Int { (ms + 999) / 1000 }
}
