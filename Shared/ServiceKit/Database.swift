import Crypto
import Foundation
import Logging
import PostgresNIO

/// Builds a `PostgresClient` from a `postgres://user:pass@host:port/db` URL.
public enum Database {
    public static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw ConfigurationError(key: "DATABASE_URL", message: "must look like postgres://user:password@host:5432/db") }
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        let database = components.path.split(separator: "/").first.map(String.init)
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        var config: PostgresClient.Configuration
        if let socketDir = query["host"], socketDir.hasPrefix("/") {
            let port = components.port ?? 5432
            config = .init(unixSocketPath: "\(socketDir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            config = .init(
                host: components.host ?? "127.0.0.1", port: components.port ?? 5432,
                username: user, password: password, database: database, tls: .disable
            )
        }
        if let max = query["pool_max"].flatMap(Int.init) { config.options.maximumConnections = max }
        return config
    }

    public static func makeClient(url: String, logger: Logger) throws -> PostgresClient {
        PostgresClient(configuration: try configuration(url: url), backgroundLogger: logger)
    }

    /// A client that runs only for `body` (one-off commands, tests).
    public static func withClient<T: Sendable>(url: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = try makeClient(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// One numbered SQL file: `0001_create_users.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// What the migration does, as a checksum: its statements, without
    /// comments and with white space folded, so fixing a comment never
    /// makes an applied migration look changed.
    public var checksum: String {
        let statements = SQLScript.statements(sql).map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        return Migrator.sha256(statements.joined(separator: ";\n"))
    }

    /// Checksums this file was recorded with before: the whole file's bytes
    /// (how applied migrations were recorded until checksums covered
    /// statements only), and any `-- previous checksum: <hex>` line, written
    /// where statements left the file on purpose (the outbox table, now
    /// created for every schema by `OutboxTable`).
    public var acceptedChecksums: Set<String> {
        var accepted: Set<String> = [checksum, Migrator.sha256(sql)]
        for line in sql.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("-- previous checksum:") else { continue }
            accepted.insert(text.dropFirst("-- previous checksum:".count).trimmingCharacters(in: .whitespaces))
        }
        return accepted
    }

    /// Reads `NNNN_name.sql` files from a folder, ordered by number.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        var migrations: [Migration] = []
        for file in files where file.pathExtension == "sql" {
            let base = file.deletingPathExtension().lastPathComponent
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]) else {
                throw MigrationError.badFileName(file.lastPathComponent)
            }
            migrations.append(Migration(version: version, name: String(base[base.index(after: underscore)...]), sql: try String(contentsOf: file, encoding: .utf8)))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        return migrations
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int)
    case changed(version: Int, name: String)

    public var description: String {
        switch self {
        case .badFileName(let f): "migration file \(f) must be named NNNN_name.sql"
        case .duplicateVersion(let v): "two migrations have version \(v)"
        case .changed(let v, let n): "migration \(v)_\(n) was changed after it ran; add a new migration instead"
        }
    }
}

/// Applies a service's migrations to its own schema. Safe when several
/// instances start at once: they queue on an advisory lock held on one
/// connection, and each file runs in its own transaction with its row in
/// `schema_migrations`, so a file runs exactly once.
public struct Migrator: Sendable {
    public let schema: String
    public let migrations: [Migration]

    public init(schema: String, migrations: [Migration]) {
        precondition(schema.allSatisfy { $0.isLetter || $0 == "_" }, "schema names are plain identifiers")
        self.schema = schema
        self.migrations = migrations
    }

    /// Returns the versions this call applied (empty when already up to date).
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            let lockKey = Int64(Self.lockKey(schema))
            _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let applied = try await self.apply(on: connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS \(unescaped: schema).schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var done: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM \(unescaped: schema).schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) { done[version] = checksum }

        var applied: [Int] = []
        // The outbox is every service's, so its table is the kit's (before the
        // service's own files: a later one may refer to it).
        for statement in OutboxTable.statements(schema: schema) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }

        for migration in migrations {
            let checksum = migration.checksum
            if let existing = done[migration.version] {
                guard migration.acceptedChecksums.contains(existing) else {
                    throw MigrationError.changed(version: migration.version, name: migration.name)
                }
                if existing != checksum {
                    // Recorded the old way: from now on, the statements' checksum.
                    try await connection.query(
                        "UPDATE \(unescaped: schema).schema_migrations SET checksum = \(checksum) WHERE version = \(migration.version)",
                        logger: logger)
                }
                continue
            }
            logger.info("applying migration", metadata: ["schema": .string(schema), "migration": .string("\(migration.version)_\(migration.name)")])
            // The file and its bookkeeping row commit together or not at all.
            do {
                try await connection.query("BEGIN", logger: logger)
                try await connection.query("SET LOCAL search_path TO \(unescaped: schema), public", logger: logger)
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO \(unescaped: schema).schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(checksum))",
                    logger: logger
                )
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// A stable 32-bit key per schema for `pg_advisory_lock` (FNV-1a).
    static func lockKey(_ schema: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in "trusttrade.migrate.\(schema)".utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int32(bitPattern: hash)
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Splits a SQL file into statements for the extended protocol, which takes
/// one statement at a time. Semicolons inside quotes, dollar-quoted bodies and
/// comments do not split.
public enum SQLScript {
    public static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let chars = Array(sql)
        var i = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                i += 2
                while i + 1 < chars.count && !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { current.append(chars[i + 1]); i += 2; continue }
                        break
                    }
                    i += 1
                }
                i += 1
                continue
            }
            if c == "$" {
                // $tag$ ... $tag$
                var j = i + 1
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                if j < chars.count && chars[j] == "$" {
                    let tag = String(chars[i...j])
                    current += tag
                    i = j + 1
                    while i < chars.count {
                        if chars[i] == "$" && String(chars[i..<min(chars.count, i + tag.count)]) == tag {
                            current += tag
                            i += tag.count
                            break
                        }
                        current.append(chars[i])
                        i += 1
                    }
                    continue
                }
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        flush()
        return statements
    }
}

extension PostgresClient {
    /// `withTransaction` that rethrows the body's own error (an `APIError`,
    /// a domain error) instead of wrapping it, so callers can match on it.
    /// A transaction the server aborted as a deadlock victim or a
    /// serialization failure is run again (up to 3 times): the body must only
    /// touch the database, which the abort rolled back.
    public func transaction<T: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withTransaction(logger: logger, body)
            } catch let error as PostgresTransactionError {
                let inner = error.closureError ?? error
                if attempt < 3, let psql = inner as? PSQLError, psql.isRetryableConflict {
                    attempt += 1
                    logger.info("transaction retried", metadata: ["sqlState": .string(psql.serverInfo?[.sqlState] ?? "")])
                    continue
                }
                throw inner
            }
        }
    }
}

extension PSQLError {
    /// Deadlock victim (40P01) or serialization failure (40001): the same
    /// transaction can succeed when run again.
    public var isRetryableConflict: Bool {
        let state = serverInfo?[.sqlState]
        return state == "40P01" || state == "40001"
    }
}

extension PostgresRowSequence {
    /// The rows of a page query that selects `count(*) OVER () AS total`:
    /// each row made into an item, and that total (every row carries it).
    public func page<Item>(_ item: (PostgresRow) throws -> Item) async throws -> ([Item], Int) {
        var items: [Item] = []
        var total = 0
        for try await row in self {
            items.append(try item(row))
            total = try PostgresRandomAccessRow(row)["total"].decode(Int.self)
        }
        return (items, total)
    }
}
