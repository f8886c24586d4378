import Foundation

/// The seed's response envelope (section 7.2). Every response of every service
/// uses it: `{"success": true, "data": ..., "meta": {...}}` for success, and
/// `{"success": false, "error": {...}, "meta": {...}}` for errors.
public struct ResponseMeta: Codable, Sendable, Equatable {
    public var timestamp: String
    public var requestId: String

    public init(timestamp: String, requestId: String) {
        self.timestamp = timestamp
        self.requestId = requestId
    }

    public init(requestId: String, at date: Date = Date()) {
        self.init(timestamp: ISO8601.string(from: date), requestId: requestId)
    }
}

public struct SuccessEnvelope<T: Codable & Sendable>: Codable, Sendable {
    public var success: Bool
    public var data: T
    public var pagination: Pagination?
    public var meta: ResponseMeta

    public init(data: T, pagination: Pagination? = nil, meta: ResponseMeta) {
        self.success = true
        self.data = data
        self.pagination = pagination
        self.meta = meta
    }
}

public struct ErrorEnvelope: Codable, Sendable, Equatable {
    public var success: Bool
    public var error: ErrorBody
    public var meta: ResponseMeta

    public init(error: ErrorBody, meta: ResponseMeta) {
        self.success = false
        self.error = error
        self.meta = meta
    }
}

public struct ErrorBody: Codable, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    public var details: [FieldError]?

    public init(code: ErrorCode, message: String, details: [FieldError]? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}

/// One problem with one input field: `{"field": "email", "message": "..."}`.
public struct FieldError: Codable, Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// ISO-8601 UTC with milliseconds, the one time format of the API.
public enum ISO8601 {
    public static func string(from date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Reads a time with its zone (`Z`, `+08:00`), with or without fractions;
    /// a time written without any zone is read as UTC, the API's one zone.
    public static func date(from string: String) -> Date? {
        let withFractions = Date.ISO8601FormatStyle.iso8601.year().month().day().time(includingFractionalSeconds: true)
        if let d = try? Date(string, strategy: withFractions.timeZone(separator: .omitted)) { return d }
        if let d = try? Date(string, strategy: .iso8601) { return d }
        return try? Date(string, strategy: withFractions)
    }
}

extension String {
    /// A base URL ready for `base + "/path"` (configuration may end in "/", or several).
    public var withoutTrailingSlash: String {
        var s = self[...]
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}
