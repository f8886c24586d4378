import Foundation

/// How long to wait before retrying a failed attempt (BullMQ built-in strategies).
public enum Backoff: Sendable, Codable, Hashable {
    /// The same delay before every retry.
    case fixed(delayMs: Int)
    /// `delayMs * 2^(attemptsMade - 1)`: delayMs, 2×, 4×...
    case exponential(delayMs: Int)

    public var delayMs: Int {
        switch self {
        case .fixed(let d), .exponential(let d): return d
        }
    }

    var typeName: String {
        switch self {
        case .fixed: return "fixed"
        case .exponential: return "exponential"
        }
    }

    /// Delay before the retry that follows `attemptsMade` failed attempts.
    public func delay(afterAttempts attemptsMade: Int) -> Int {
        switch self {
        case .fixed(let d): return d
        case .exponential(let d):
            return Int((Double(d) * pow(2, Double(max(attemptsMade, 1) - 1))).rounded())
        }
    }

    private enum CodingKeys: String, CodingKey { case type, delay }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let ms = try? single.decode(Int.self) {
            self = .fixed(delayMs: ms)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        let delay = Int(try c.decodeIfPresent(Double.self, forKey: .delay) ?? 0)
        switch type {
        case "fixed": self = .fixed(delayMs: delay)
        case "exponential": self = .exponential(delayMs: delay)
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown backoff type \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(typeName, forKey: .type)
        try c.encode(delayMs, forKey: .delay)
    }
}

/// Which finished jobs to keep (`removeOnComplete` / `removeOnFail`).
public enum KeepJobs: Sendable, Hashable {
    case all
    case none
    /// Keep the newest `count`.
    case count(Int)
    /// Keep those finished less than `seconds` ago.
    case age(seconds: Int)
    case ageAndCount(seconds: Int, count: Int)

    /// (count, age) as the scripts take them: -1 = no limit, count 0 = remove at once.
    var scriptArgs: (count: Int, age: Int) {
        switch self {
        case .all: return (-1, -1)
        case .none: return (0, -1)
        case .count(let n): return (max(n, 0), -1)
        case .age(let s): return (-1, max(s, 0))
        case .ageAndCount(let s, let n): return (max(n, 0), max(s, 0))
        }
    }

    /// BullMQ's JSON: absent/false = keep all, true = none, a number = count, {age, count}.
    var json: String? {
        switch self {
        case .all: return nil
        case .none: return "true"
        case .count(let n): return String(n)
        case .age(let s): return "{\"age\":\(s)}"
        case .ageAndCount(let s, let n): return "{\"age\":\(s),\"count\":\(n)}"
        }
    }

    init(raw: RawKeep?) {
        switch raw {
        case nil: self = .all
        case .flag(let b): self = b ? .none : .all
        case .count(let n): self = n <= 0 ? .none : .count(n)
        case .limits(let age, let count):
            switch (age, count) {
            case let (a?, c?): self = .ageAndCount(seconds: a, count: c)
            case let (a?, nil): self = .age(seconds: a)
            case let (nil, c?): self = c <= 0 ? .none : .count(c)
            default: self = .all
            }
        }
    }
}

/// `removeOnComplete` / `removeOnFail` as found in `opts` JSON.
enum RawKeep: Decodable {
    case flag(Bool)
    case count(Int)
    case limits(age: Int?, count: Int?)

    private enum K: String, CodingKey { case age, count }

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let b = try? single.decode(Bool.self) { self = .flag(b); return }
        if let n = try? single.decode(Int.self) { self = .count(n); return }
        if let d = try? single.decode(Double.self) { self = .count(Int(d)); return }
        let c = try decoder.container(keyedBy: K.self)
        self = .limits(
            age: (try? c.decodeIfPresent(Double.self, forKey: .age)).flatMap { $0.map { Int($0) } },
            count: (try? c.decodeIfPresent(Double.self, forKey: .count)).flatMap { $0.map { Int($0) } })
    }
}

/// BullMQ's `opts` JSON, read leniently (written by us, Node or Python BullMQ).
struct RawOptions: Decodable {
    var jobId: String?
    var delay: Double?
    var priority: Double?
    var attempts: Double?
    var backoff: Backoff?
    var removeOnComplete: RawKeep?
    var removeOnFail: RawKeep?
    var lifo: Bool?
    var stackTraceLimit: Double?

    private enum K: String, CodingKey {
        case jobId, delay, priority, attempts, backoff, removeOnComplete, removeOnFail, lifo, stackTraceLimit
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        jobId = try? c.decodeIfPresent(String.self, forKey: .jobId)
        delay = try? c.decodeIfPresent(Double.self, forKey: .delay)
        priority = try? c.decodeIfPresent(Double.self, forKey: .priority)
        attempts = try? c.decodeIfPresent(Double.self, forKey: .attempts)
        backoff = try? c.decodeIfPresent(Backoff.self, forKey: .backoff)
        removeOnComplete = try? c.decodeIfPresent(RawKeep.self, forKey: .removeOnComplete)
        removeOnFail = try? c.decodeIfPresent(RawKeep.self, forKey: .removeOnFail)
        lifo = try? c.decodeIfPresent(Bool.self, forKey: .lifo)
        stackTraceLimit = try? c.decodeIfPresent(Double.self, forKey: .stackTraceLimit)
    }
}

/// Options of one job; stored in the job hash as BullMQ's `opts` JSON.
public struct JobOptions: Sendable, Hashable {
    /// Custom id: adding a job whose id exists adds nothing.
    public var jobId: String?
    public var delayMs: Int
    /// 0 = none; otherwise 1 is the highest priority. Jobs without priority go first.
    public var priority: Int
    /// Total attempts (first run included).
    public var attempts: Int
    public var backoff: Backoff?
    public var removeOnComplete: KeepJobs
    public var removeOnFail: KeepJobs
    /// Push to the head of the wait list (taken next) instead of the tail.
    public var lifo: Bool = false
    /// Stack trace entries kept on failures (nil = all).
    public var stackTraceLimit: Int? = nil

    public init(
        jobId: String? = nil, delayMs: Int = 0, priority: Int = 0, attempts: Int = 1, backoff: Backoff? = nil,
        removeOnComplete: KeepJobs = .all, removeOnFail: KeepJobs = .all
    ) {
        self.jobId = jobId
        self.delayMs = delayMs
        self.priority = priority
        self.attempts = attempts
        self.backoff = backoff
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
    }

    /// The `opts` JSON BullMQ writes and reads.
    var json: String {
        var parts = ["\"attempts\":\(max(attempts, 1))", "\"delay\":\(max(delayMs, 0))"]
        if priority > 0 { parts.append("\"priority\":\(priority)") }
        if let backoff { parts.append("\"backoff\":{\"type\":\"\(backoff.typeName)\",\"delay\":\(backoff.delayMs)}") }
        if let j = removeOnComplete.json { parts.append("\"removeOnComplete\":\(j)") }
        if let j = removeOnFail.json { parts.append("\"removeOnFail\":\(j)") }
        if lifo { parts.append("\"lifo\":true") }
        if let stackTraceLimit { parts.append("\"stackTraceLimit\":\(stackTraceLimit)") }
        if let jobId { parts.append("\"jobId\":\(JSON.quote(jobId))") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Reads BullMQ's `opts` JSON (from us, Node or Python BullMQ). Unknown keys are ignored.
    init(json: String?) {
        self.init()
        guard let json, let raw = try? JSONDecoder().decode(RawOptions.self, from: Data(json.utf8)) else { return }
        jobId = raw.jobId
        delayMs = Int(raw.delay ?? 0)
        priority = Int(raw.priority ?? 0)
        attempts = max(Int(raw.attempts ?? 1), 1)
        backoff = raw.backoff
        removeOnComplete = KeepJobs(raw: raw.removeOnComplete)
        removeOnFail = KeepJobs(raw: raw.removeOnFail)
        lifo = raw.lifo ?? false
        stackTraceLimit = raw.stackTraceLimit.map { Int($0) }
    }
}

enum JSON {
    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
