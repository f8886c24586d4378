import Foundation
import Logging
import Redis

/// Daily counters of seed 4.2 (`stats:daily:{YYYY-MM-DD}`, a hash, kept 90
/// days; the day is Philippine time). Counting never fails a request.
public struct DailyStats: Sendable {
    public enum Counter: String, Sendable {
        case bookingsCreated, bookingsCompleted, bookingsCancelled, reviewsCreated, messagesSent, searches
    }

    let redis: RedisClient
    let logger: Logger

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    public static func key(for date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd"
        return "stats:daily:\(formatter.string(from: date))"
    }

    public func count(_ counter: Counter, by amount: Int64 = 1, at date: Date = Date()) async {
        let key = Self.key(for: date)
        do {
            _ = try await redis.pipeline([
                ["HINCRBY", key, counter.rawValue, String(amount)],
                ["EXPIRE", key, String(90 * 86_400)],
            ])
        } catch {
            logger.debug("daily stats not counted", metadata: ["counter": .string(counter.rawValue), "error": .string("\(error)")])
        }
    }
}
