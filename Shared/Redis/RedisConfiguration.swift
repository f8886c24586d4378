import NIOCore

/// Connection settings for `RedisClient` / `RedisConnection`.
///
/// Parsed from `redis://[[user]:password@]host[:port][/db]` (also `?db=N`).
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// ACL user name (Redis 6+). `nil` means `AUTH <password>`.
    public var username: String?
    public var password: String?
    public var database: Int
    /// Number of multiplexed (pipelined) connections in the shared pool.
    public var poolSize: Int
    /// Maximum number of idle dedicated connections (blocking commands) kept for reuse.
    public var maxIdleDedicatedConnections: Int
    public var connectTimeout: TimeAmount
    /// When set, a connection whose oldest pending command has seen no reply for this long
    /// is closed and its commands fail with `RedisError.timeout`. Never applied to
    /// dedicated connections (blocking commands).
    public var commandTimeout: TimeAmount?
    /// Backoff after a failed connect: starts at `reconnectBackoffMin`, doubles up to `reconnectBackoffMax`.
    public var reconnectBackoffMin: TimeAmount
    public var reconnectBackoffMax: TimeAmount

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        poolSize: Int = 4,
        maxIdleDedicatedConnections: Int = 4,
        connectTimeout: TimeAmount = .seconds(5),
        commandTimeout: TimeAmount? = nil,
        reconnectBackoffMin: TimeAmount = .milliseconds(50),
        reconnectBackoffMax: TimeAmount = .seconds(2)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = max(1, poolSize)
        self.maxIdleDedicatedConnections = max(0, maxIdleDedicatedConnections)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoffMin = reconnectBackoffMin
        self.reconnectBackoffMax = reconnectBackoffMax
    }

    /// Parses `redis://[:password@]host[:port][/db]` and `redis://user:password@host...`.
    /// Percent-escapes in user and password are decoded.
    public init(url: String, poolSize: Int = 4) throws {
        self.init(poolSize: poolSize)
        var rest = Substring(url.trimmingWhitespace())
        guard let schemeEnd = rest.firstRange(of: "://") else { throw RedisError.invalidURL("missing scheme in \(Self.redact(url))") }
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else {
            throw RedisError.invalidURL("unsupported scheme '\(scheme)' (only redis:// is supported)")
        }
        rest = rest[schemeEnd.upperBound...]
        // query
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // path
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // userinfo
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = String(userinfo[..<colon])
                let pass = String(userinfo[userinfo.index(after: colon)...])
                self.username = user.isEmpty ? nil : try Self.percentDecode(user)
                self.password = pass.isEmpty ? nil : try Self.percentDecode(pass)
            } else if !userinfo.isEmpty {
                // redis://password@host is commonly understood as a password.
                self.password = try Self.percentDecode(String(userinfo))
            }
        }
        // host[:port], IPv6 in brackets
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw RedisError.invalidURL("unterminated IPv6 host") }
            self.host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else { throw RedisError.invalidURL("bad port") }
                self.port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            self.host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw RedisError.invalidURL("bad port in \(Self.redact(url))")
            }
            self.port = p
        } else if !rest.isEmpty {
            self.host = String(rest)
        }
        if self.host.isEmpty { self.host = "127.0.0.1" }
        if !path.isEmpty {
            guard let db = Int(path), db >= 0 else { throw RedisError.invalidURL("bad database '\(path)'") }
            self.database = db
        }
        for item in query.split(separator: "&") {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "db":
                guard let db = Int(kv[1]), db >= 0 else { throw RedisError.invalidURL("bad db '\(kv[1])'") }
                self.database = db
            case "password": self.password = try Self.percentDecode(String(kv[1]))
            case "poolSize", "pool_size": if let n = Int(kv[1]), n > 0 { self.poolSize = n }
            default: break
            }
        }
    }

    /// Reads `REDIS_URL` (or `key`) from the environment.
    public static func fromEnvironment(
        _ key: String = "REDIS_URL",
        default defaultURL: String = "redis://127.0.0.1:6379",
        environment: [String: String]
    ) throws -> RedisConfiguration {
        try RedisConfiguration(url: environment[key] ?? defaultURL)
    }

    /// The URL without the password, for logs.
    public var redactedURL: String {
        var s = "redis://"
        if username != nil || password != nil { s += "\(username ?? ""):***@" }
        s += host.contains(":") ? "[\(host)]" : host
        s += ":\(port)/\(database)"
        return s
    }

    static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let schemeEnd = url.firstRange(of: "://") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }

    static func percentDecode(_ s: String) throws -> String {
        guard s.contains("%") else { return s }
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(),
                    let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
                else { throw RedisError.invalidURL("bad percent escape") }
                out.append(v)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
