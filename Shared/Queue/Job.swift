import Foundation
import Redis

/// A job as a handler sees it.
public struct Job: Sendable {
    public let id: String
    public let name: String
    /// The payload, raw JSON.
    public let data: String
    /// Attempts finished before this one (failed ones; 0 on the first run).
    public let attemptsMade: Int
    /// Times the job was taken by a worker, this run included (`ats`).
    public let attemptsStarted: Int
    /// Times the job was found stalled (its worker lost its lock).
    public let stalledCount: Int
    /// When the job was added, ms since 1970.
    public let timestamp: Int64
    public let processedOn: Int64?
    public let options: JobOptions
    /// The `opts` JSON as stored.
    public let optionsJSON: String
    /// Set when the job must fail without running (stalled too often).
    let deferredFailure: String?

    /// The number of this attempt, 1-based.
    public var attempt: Int { attemptsMade + 1 }

    /// Decodes `data`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(data.utf8))
    }

    init(id: String, fields: [String: String]) {
        self.id = id
        name = fields["name"] ?? ""
        data = fields["data"] ?? "null"
        attemptsMade = Int(fields["atm"] ?? fields["attemptsMade"] ?? "") ?? 0
        attemptsStarted = Int(fields["ats"] ?? "") ?? 0
        stalledCount = Int(fields["stc"] ?? "") ?? 0
        timestamp = Int64(fields["timestamp"] ?? "") ?? 0
        processedOn = fields["processedOn"].flatMap { Int64($0) }
        optionsJSON = fields["opts"] ?? "{}"
        options = JobOptions(json: optionsJSON)
        deferredFailure = fields["defa"]
    }

    /// From a HGETALL reply (flat field/value array).
    init?(id: String, hgetall: RedisValue) {
        guard let items = hgetall.array, !items.isEmpty else { return nil }
        self.init(id: id, fields: Self.fieldMap(items))
    }

    static func fieldMap(_ items: [RedisValue]) -> [String: String] {
        var fields: [String: String] = [:]
        fields.reserveCapacity(items.count / 2)
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].string { fields[k] = items[i + 1].string ?? "" }
            i += 2
        }
        return fields
    }
}

/// A job with its state and results, as `JobQueue.job(_:)` returns it.
public struct JobState: Sendable {
    public enum State: String, Sendable {
        case waiting, paused, active, delayed, prioritized, completed, failed, unknown
    }

    public let state: State
    public let job: Job
    /// The handler's result, JSON (completed jobs).
    public let returnvalue: String?
    /// Error of the last failed attempt.
    public let failedReason: String?
    /// One entry per failed attempt (oldest first).
    public let stacktrace: [String]
    /// Last progress reported, JSON.
    public let progress: String?
    public let finishedOn: Int64?
    public let processedOn: Int64?
    /// Every field of the job hash.
    public let fields: [String: String]

    public var id: String { job.id }
    public var attemptsMade: Int { job.attemptsMade }

    init(state: State, id: String, fields: [String: String]) {
        self.state = state
        self.fields = fields
        job = Job(id: id, fields: fields)
        returnvalue = fields["returnvalue"]
        failedReason = fields["failedReason"]
        progress = fields["progress"]
        finishedOn = fields["finishedOn"].flatMap { Int64($0) }
        processedOn = fields["processedOn"].flatMap { Int64($0) }
        if let s = fields["stacktrace"], let list = try? JSONDecoder().decode([String].self, from: Data(s.utf8)) {
            stacktrace = list
        } else {
            stacktrace = []
        }
    }
}

/// Thrown by a handler to fail the job at once, without the remaining attempts.
public struct UnrecoverableError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

public enum QueueError: Error, CustomStringConvertible, Sendable {
    case unexpectedReply(String)
    case jobNotFound(String)
    case notFailed(String)
    case invalidJSON(String)

    public var description: String {
        switch self {
        case .unexpectedReply(let s): return "queue: unexpected reply from Redis: \(s)"
        case .jobNotFound(let id): return "queue: no job \(id)"
        case .notFailed(let id): return "queue: job \(id) is not in failed"
        case .invalidJSON(let s): return "queue: job data is not JSON: \(s)"
        }
    }
}
