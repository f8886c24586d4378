/// Anything that can run Redis commands: the pool (`RedisClient`) or one `RedisConnection`.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command; an error reply is thrown as `RedisError.server`.
    nonisolated(nonsending) func send(_ command: [RedisArgument]) async throws -> RedisValue
    /// Sends one command; an error reply is returned as `.error`.
    nonisolated(nonsending) func sendRaw(_ command: [RedisArgument]) async throws -> RedisValue
    /// Sends commands in one write; replies in order, error replies as `.error` values.
    nonisolated(nonsending) func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisValue]
}

public enum RedisExpiration: Sendable, Hashable {
    case seconds(Int)
    case milliseconds(Int)
    /// Unix time in seconds (`EXAT`).
    case unixSeconds(Int)
    case keepTTL
}

public enum RedisSetCondition: Sendable, Hashable {
    case always
    /// `NX`
    case ifNotExists
    /// `XX`
    case ifExists
}

extension RedisCommandExecutor {
    // MARK: generic

    @discardableResult
    public func send(_ args: RedisArgument...) async throws -> RedisValue { try await send(args) }

    @discardableResult
    public func send(_ args: [String]) async throws -> RedisValue { try await send(args.map(RedisArgument.string)) }

    public func pipeline(_ commands: [[String]]) async throws -> [RedisValue] {
        try await pipeline(commands.map { $0.map(RedisArgument.string) })
    }

    public func ping() async throws -> String {
        try await send(["PING"]).string ?? ""
    }

    // MARK: strings

    public func get(_ key: String) async throws -> String? {
        try await send(["GET", .string(key)]).string
    }

    public func getBytes(_ key: String) async throws -> [UInt8]? {
        try await send(["GET", .string(key)]).bytes
    }

    public func mget(_ keys: [String]) async throws -> [String?] {
        try await send(["MGET"] + keys.map(RedisArgument.string)).array?.map(\.string) ?? []
    }

    /// `SET key value [EX|PX|EXAT|KEEPTTL] [NX|XX]`. Returns false when NX/XX prevented the write.
    @discardableResult
    public func set(
        _ key: String, _ value: String, expiration: RedisExpiration? = nil, condition: RedisSetCondition = .always
    ) async throws -> Bool {
        try await set(key, argument: .string(value), expiration: expiration, condition: condition)
    }

    @discardableResult
    public func set(
        _ key: String, bytes value: [UInt8], expiration: RedisExpiration? = nil, condition: RedisSetCondition = .always
    ) async throws -> Bool {
        try await set(key, argument: .bytes(value), expiration: expiration, condition: condition)
    }

    private func set(
        _ key: String, argument: RedisArgument, expiration: RedisExpiration?, condition: RedisSetCondition
    ) async throws -> Bool {
        var cmd: [RedisArgument] = ["SET", .string(key), argument]
        switch expiration {
        case .seconds(let s)?: cmd += ["EX", RedisArgument(s)]
        case .milliseconds(let ms)?: cmd += ["PX", RedisArgument(ms)]
        case .unixSeconds(let t)?: cmd += ["EXAT", RedisArgument(t)]
        case .keepTTL?: cmd.append("KEEPTTL")
        case nil: break
        }
        switch condition {
        case .always: break
        case .ifNotExists: cmd.append("NX")
        case .ifExists: cmd.append("XX")
        }
        return try await !send(cmd).isNull
    }

    @discardableResult
    public func del(_ keys: String...) async throws -> Int { try await del(keys) }

    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        if keys.isEmpty { return 0 }
        return try await integer(["DEL"] + keys.map(RedisArgument.string))
    }

    public func exists(_ keys: String...) async throws -> Int {
        try await integer(["EXISTS"] + keys.map(RedisArgument.string))
    }

    @discardableResult
    public func incr(_ key: String) async throws -> Int64 {
        try await integer64(["INCR", .string(key)])
    }

    @discardableResult
    public func incrBy(_ key: String, _ amount: Int64) async throws -> Int64 {
        try await integer64(["INCRBY", .string(key), RedisArgument(amount)])
    }

    @discardableResult
    public func decr(_ key: String) async throws -> Int64 {
        try await integer64(["DECR", .string(key)])
    }

    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await integer(["EXPIRE", .string(key), RedisArgument(seconds)]) == 1
    }

    @discardableResult
    public func pexpire(_ key: String, milliseconds: Int) async throws -> Bool {
        try await integer(["PEXPIRE", .string(key), RedisArgument(milliseconds)]) == 1
    }

    /// Seconds to live; -1 no expiry, -2 no such key.
    public func ttl(_ key: String) async throws -> Int64 {
        try await integer64(["TTL", .string(key)])
    }

    public func pttl(_ key: String) async throws -> Int64 {
        try await integer64(["PTTL", .string(key)])
    }

    // MARK: hashes

    @discardableResult
    public func hset(_ key: String, _ field: String, _ value: String) async throws -> Int {
        try await integer(["HSET", .string(key), .string(field), .string(value)])
    }

    @discardableResult
    public func hset(_ key: String, fields: [String: String]) async throws -> Int {
        if fields.isEmpty { return 0 }
        var cmd: [RedisArgument] = ["HSET", .string(key)]
        for (f, v) in fields.sorted(by: { $0.key < $1.key }) { cmd += [.string(f), .string(v)] }
        return try await integer(cmd)
    }

    public func hget(_ key: String, _ field: String) async throws -> String? {
        try await send(["HGET", .string(key), .string(field)]).string
    }

    public func hgetall(_ key: String) async throws -> [String: String] {
        let items = try await strings(["HGETALL", .string(key)])
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            out[items[i]] = items[i + 1]
            i += 2
        }
        return out
    }

    @discardableResult
    public func hdel(_ key: String, _ fields: String...) async throws -> Int {
        try await integer(["HDEL", .string(key)] + fields.map(RedisArgument.string))
    }

    @discardableResult
    public func hincrBy(_ key: String, _ field: String, _ amount: Int64) async throws -> Int64 {
        try await integer64(["HINCRBY", .string(key), .string(field), RedisArgument(amount)])
    }

    // MARK: sets

    @discardableResult
    public func sadd(_ key: String, _ members: String...) async throws -> Int { try await sadd(key, members) }

    @discardableResult
    public func sadd(_ key: String, _ members: [String]) async throws -> Int {
        try await integer(["SADD", .string(key)] + members.map(RedisArgument.string))
    }

    @discardableResult
    public func srem(_ key: String, _ members: String...) async throws -> Int {
        try await integer(["SREM", .string(key)] + members.map(RedisArgument.string))
    }

    public func smembers(_ key: String) async throws -> [String] {
        try await strings(["SMEMBERS", .string(key)])
    }

    public func sismember(_ key: String, _ member: String) async throws -> Bool {
        try await integer(["SISMEMBER", .string(key), .string(member)]) == 1
    }

    public func scard(_ key: String) async throws -> Int {
        try await integer(["SCARD", .string(key)])
    }

    // MARK: sorted sets

    @discardableResult
    public func zadd(_ key: String, score: Double, member: String) async throws -> Int {
        try await integer(["ZADD", .string(key), RedisArgument(score), .string(member)])
    }

    @discardableResult
    public func zadd(_ key: String, _ members: [(score: Double, member: String)]) async throws -> Int {
        var cmd: [RedisArgument] = ["ZADD", .string(key)]
        for m in members { cmd += [RedisArgument(m.score), .string(m.member)] }
        return try await integer(cmd)
    }

    public func zrange(_ key: String, start: Int, stop: Int) async throws -> [String] {
        try await strings(["ZRANGE", .string(key), RedisArgument(start), RedisArgument(stop)])
    }

    /// `ZRANGEBYSCORE key min max [LIMIT offset count]`; min/max as Redis accepts them ("-inf", "(5", "10").
    public func zrangeByScore(_ key: String, min: String, max: String, limit: (offset: Int, count: Int)? = nil)
        async throws -> [String]
    {
        var cmd: [RedisArgument] = ["ZRANGEBYSCORE", .string(key), .string(min), .string(max)]
        if let limit { cmd += ["LIMIT", RedisArgument(limit.offset), RedisArgument(limit.count)] }
        return try await strings(cmd)
    }

    @discardableResult
    public func zrem(_ key: String, _ members: String...) async throws -> Int {
        try await integer(["ZREM", .string(key)] + members.map(RedisArgument.string))
    }

    public func zscore(_ key: String, _ member: String) async throws -> Double? {
        try await send(["ZSCORE", .string(key), .string(member)]).double
    }

    public func zcard(_ key: String) async throws -> Int {
        try await integer(["ZCARD", .string(key)])
    }

    // MARK: lists

    @discardableResult
    public func lpush(_ key: String, _ values: String...) async throws -> Int { try await lpush(key, values) }

    @discardableResult
    public func lpush(_ key: String, _ values: [String]) async throws -> Int {
        try await integer(["LPUSH", .string(key)] + values.map(RedisArgument.string))
    }

    @discardableResult
    public func rpush(_ key: String, _ values: String...) async throws -> Int { try await rpush(key, values) }

    @discardableResult
    public func rpush(_ key: String, _ values: [String]) async throws -> Int {
        try await integer(["RPUSH", .string(key)] + values.map(RedisArgument.string))
    }

    public func lrange(_ key: String, _ start: Int, _ stop: Int) async throws -> [String] {
        try await strings(["LRANGE", .string(key), RedisArgument(start), RedisArgument(stop)])
    }

    public func lpop(_ key: String) async throws -> String? { try await send(["LPOP", .string(key)]).string }
    public func rpop(_ key: String) async throws -> String? { try await send(["RPOP", .string(key)]).string }
    public func llen(_ key: String) async throws -> Int { try await integer(["LLEN", .string(key)]) }

    // MARK: pub/sub

    /// Returns the number of subscribers that received the message.
    @discardableResult
    public func publish(_ channel: String, _ message: String) async throws -> Int {
        try await integer(["PUBLISH", .string(channel), .string(message)])
    }

    @discardableResult
    public func publish(_ channel: String, bytes message: [UInt8]) async throws -> Int {
        try await integer(["PUBLISH", .string(channel), .bytes(message)])
    }

    // MARK: scripting

    public func eval(_ source: String, keys: [String] = [], args: [RedisArgument] = []) async throws -> RedisValue {
        try await send(["EVAL", .string(source), RedisArgument(keys.count)] + keys.map(RedisArgument.string) + args)
    }

    public func evalsha(_ sha1: String, keys: [String] = [], args: [RedisArgument] = []) async throws -> RedisValue {
        try await send(["EVALSHA", .string(sha1), RedisArgument(keys.count)] + keys.map(RedisArgument.string) + args)
    }

    /// `SCRIPT LOAD`; returns the SHA1.
    @discardableResult
    public func scriptLoad(_ source: String) async throws -> String {
        guard let sha = try await send(["SCRIPT", "LOAD", .string(source)]).string else {
            throw RedisError.unexpectedReply("SCRIPT LOAD returned no sha")
        }
        return sha
    }

    /// Runs a script with `EVALSHA`; if the server answers `NOSCRIPT` (script cache flushed,
    /// server restarted, failover), falls back once to `EVAL`, which also caches it again.
    public func run(_ script: RedisScript, keys: [String] = [], args: [RedisArgument] = []) async throws -> RedisValue {
        let tail: [RedisArgument] = [RedisArgument(keys.count)] + keys.map(RedisArgument.string) + args
        let reply = try await sendRaw(["EVALSHA", .string(script.sha1)] + tail)
        if case .error(let e) = reply {
            if e.serverErrorCode == "NOSCRIPT" {
                return try await send(["EVAL", .string(script.source)] + tail)
            }
            throw e
        }
        return reply
    }

    public func run(_ script: RedisScript, keys: [String] = [], args: [String]) async throws -> RedisValue {
        try await run(script, keys: keys, args: args.map(RedisArgument.string))
    }

    // MARK: decoding helpers

    func integer(_ cmd: [RedisArgument]) async throws -> Int {
        Int(try await integer64(cmd))
    }

    func integer64(_ cmd: [RedisArgument]) async throws -> Int64 {
        let v = try await send(cmd)
        guard case .integer(let i) = v else {
            throw RedisError.unexpectedReply("\(cmd.first?.description ?? "?"): expected integer, got \(v)")
        }
        return i
    }

    func strings(_ cmd: [RedisArgument]) async throws -> [String] {
        let v = try await send(cmd)
        guard case .array(let items) = v else {
            if v.isNull { return [] }
            throw RedisError.unexpectedReply("\(cmd.first?.description ?? "?"): expected array, got \(v)")
        }
        return items.map { $0.string ?? "" }
    }
}

// MARK: blocking commands (on a connection; RedisClient runs them on dedicated connections)

extension RedisConnection {
    /// `BLPOP keys... timeout`; nil on timeout. `timeout` 0 blocks forever.
    public func blpop(_ keys: [String], timeout: Double) async throws -> (key: String, value: String)? {
        try Self.popped(await send(["BLPOP"] + keys.map(RedisArgument.string) + [RedisArgument(timeout)]))
    }

    public func brpop(_ keys: [String], timeout: Double) async throws -> (key: String, value: String)? {
        try Self.popped(await send(["BRPOP"] + keys.map(RedisArgument.string) + [RedisArgument(timeout)]))
    }

    public func brpoplpush(_ source: String, _ destination: String, timeout: Double) async throws -> String? {
        try await send(["BRPOPLPUSH", .string(source), .string(destination), RedisArgument(timeout)]).string
    }

    /// `BZPOPMIN keys... timeout` → (key, member, score).
    public func bzpopmin(_ keys: [String], timeout: Double) async throws -> (key: String, member: String, score: Double)? {
        let v = try await send(["BZPOPMIN"] + keys.map(RedisArgument.string) + [RedisArgument(timeout)])
        guard let a = v.array, a.count == 3, let k = a[0].string, let m = a[1].string, let s = a[2].double else { return nil }
        return (k, m, s)
    }

    static func popped(_ v: RedisValue) throws -> (key: String, value: String)? {
        if v.isNull { return nil }
        guard let a = v.array, a.count == 2, let k = a[0].string, let val = a[1].string else {
            throw RedisError.unexpectedReply("expected [key, value], got \(v)")
        }
        return (k, val)
    }
}
