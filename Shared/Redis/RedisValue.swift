
/// Errors thrown by the Redis client.
public enum RedisError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The server answered with an error reply (`-ERR ...`, `-WRONGTYPE ...`, `-NOSCRIPT ...`).
    case server(String)
    /// The connection was closed (by the server, by a network error or by `close()`)
    /// while the command was queued or in flight.
    case connectionClosed
    /// A connection could not be established (refused, timed out, DNS, or still in reconnect backoff).
    case connectionFailed(String)
    /// AUTH or SELECT failed while opening a connection (wrong password, bad db index).
    case authenticationFailed(String)
    /// The bytes received were not valid RESP; the connection has been closed.
    case protocolError(String)
    /// No reply within `RedisConfiguration.commandTimeout`; the connection has been closed.
    case timeout
    /// The reply had a different shape than the helper expected.
    case unexpectedReply(String)
    /// `REDIS_URL` (or another configuration value) could not be parsed.
    case invalidURL(String)
    /// The client (pool) has been shut down.
    case clientClosed

    public var description: String {
        switch self {
        case .server(let m): return "Redis server error: \(m)"
        case .connectionClosed: return "Redis connection closed"
        case .connectionFailed(let m): return "Redis connection failed: \(m)"
        case .authenticationFailed(let m): return "Redis authentication failed: \(m)"
        case .protocolError(let m): return "Redis protocol error: \(m)"
        case .timeout: return "Redis command timed out"
        case .unexpectedReply(let m): return "Unexpected Redis reply: \(m)"
        case .invalidURL(let m): return "Invalid Redis URL: \(m)"
        case .clientClosed: return "Redis client is shut down"
        }
    }

    /// For `.server` errors: the error code (first word), e.g. `ERR`, `WRONGTYPE`, `NOSCRIPT`.
    public var serverErrorCode: String? {
        guard case .server(let m) = self else { return nil }
        return m.split(separator: " ", maxSplits: 1).first.map(String.init)
    }
}

/// A typed Redis (RESP2) reply.
public enum RedisValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case simpleString(String)
    case bulkString([UInt8])
    case array([RedisValue])
    case error(RedisError)

    /// Bulk or simple string decoded as UTF-8; integers rendered in decimal.
    public var string: String? {
        switch self {
        case .bulkString(let b): return String(decoding: b, as: UTF8.self)
        case .simpleString(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// Raw bytes of a bulk or simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): return b
        case .simpleString(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// Integer reply, or a string reply that parses as an integer.
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// A string reply that parses as a floating point number (e.g. ZSCORE), or an integer.
    public var double: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .bulkString, .simpleString: return string.flatMap { Double($0) }
        default: return nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var errorValue: RedisError? {
        if case .error(let e) = self { return e }
        return nil
    }

    /// Throws the error if this is an error reply, otherwise returns self.
    @inlinable
    public func get() throws(RedisError) -> RedisValue {
        if case .error(let e) = self { throw e }
        return self
    }
}

extension RedisValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: return "(nil)"
        case .integer(let i): return "(integer) \(i)"
        case .simpleString(let s): return s
        case .bulkString(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .error(let e): return "(error) \(e)"
        }
    }
}

/// One argument of a Redis command: text or binary-safe bytes.
public enum RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringInterpolation, CustomStringConvertible
{
    case string(String)
    case bytes([UInt8])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .string(String(value)) }
    public init(_ value: String) { self = .string(value) }
    public init(_ value: [UInt8]) { self = .bytes(value) }
    public init<I: BinaryInteger>(_ value: I) { self = .string(String(value)) }
    public init(_ value: Double) { self = .string(Self.format(value)) }

    static func format(_ d: Double) -> String {
        if d == .infinity { return "+inf" }
        if d == -.infinity { return "-inf" }
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    public var description: String {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        }
    }
}
