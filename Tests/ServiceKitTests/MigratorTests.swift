import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import TestSupport
import XCTest

final class MigratorTests: XCTestCase {
    func withPostgres<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let url = try await TestEnvironment.freshDatabase("migrator")
        let client = try Database.makeClient(url: url, logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    static let migrations = [
        Migration(version: 1, name: "widgets", sql: """
            -- a comment; with a semicolon
            CREATE TABLE widgets (id SERIAL PRIMARY KEY, name TEXT NOT NULL DEFAULT 'a;b');
            CREATE FUNCTION widget_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM shop.widgets; $$;
            """),
        Migration(version: 2, name: "seed", sql: "INSERT INTO widgets (name) VALUES ('first'), ('it''s; second');"),
    ]

    /// Eight instances start at once: each file runs exactly once.
    func testConcurrentInstancesApplyEachMigrationOnce() async throws {
        try await withPostgres { client in
            let logger = Logger(label: "m")
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do { return try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger) } catch { throw TestSetupError(String(reflecting: error)) }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            XCTAssertEqual(applied.sorted(), [1, 2])
            var count = 0
            for try await c in try await client.query("SELECT shop.widget_count()::int", logger: logger).decode(Int.self) { count = c }
            XCTAssertEqual(count, 2)
            // And again later: nothing to do.
            let again = try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger)
            XCTAssertEqual(again, [])
        }
    }

    /// A failing file leaves nothing behind and is retried next start.
    func testAFailingMigrationRollsBackWhole() async throws {
        try await withPostgres { client in
            let logger = Logger(label: "m")
            let broken = Self.migrations + [Migration(version: 3, name: "broken", sql: "CREATE TABLE gadgets (id INT); INSERT INTO nowhere VALUES (1);")]
            do {
                try await Migrator(schema: "shop", migrations: broken).migrate(client: client, logger: logger)
                XCTFail("should fail")
            } catch {}
            var tables: [String] = []
            for try await t in try await client.query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1", logger: logger).decode(String.self) { tables.append(t) }
            XCTAssertEqual(tables, ["outbox", "schema_migrations", "widgets"], "the outbox is the kit's, in every schema")
            var versions: [Int] = []
            for try await v in try await client.query("SELECT version FROM shop.schema_migrations ORDER BY 1", logger: logger).decode(Int.self) { versions.append(v) }
            XCTAssertEqual(versions, [1, 2])
        }
    }

    func testAnEditedMigrationIsRefused() async throws {
        try await withPostgres { client in
            let logger = Logger(label: "m")
            try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger)
            var edited = Self.migrations
            edited[1] = Migration(version: 2, name: "seed", sql: "INSERT INTO widgets (name) VALUES ('changed');")
            do {
                try await Migrator(schema: "shop", migrations: edited).migrate(client: client, logger: logger)
                XCTFail("an edited migration must not pass")
            } catch let error as MigrationError {
                XCTAssertTrue(error.description.contains("changed"))
            }
        }
    }

    func testCommentsMayChangeAndOldChecksumsStillPass() async throws {
        try await withPostgres { client in
            let logger = Logger(label: "m")
            try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger)
            var commented = Self.migrations
            commented[1] = Migration(version: 2, name: "seed", sql: "-- the first widgets\nINSERT INTO widgets (name)\n    VALUES ('first'), ('it''s; second');")
            let applied = try await Migrator(schema: "shop", migrations: commented).migrate(client: client, logger: logger)
            XCTAssertEqual(applied, [], "a comment or layout change is no change")

            // A database recorded when checksums covered the whole file.
            let legacy = Migrator.sha256(Self.migrations[0].sql)
            try await client.query("UPDATE shop.schema_migrations SET checksum = \(legacy) WHERE version = 1", logger: logger)
            try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger)
            var recorded = ""
            for try await c in try await client.query("SELECT checksum FROM shop.schema_migrations WHERE version = 1", logger: logger).decode(String.self) { recorded = c }
            XCTAssertEqual(recorded, Self.migrations[0].checksum, "rewritten to the statements' checksum")

            // Statements that left a file on purpose name the checksum it had.
            var moved = Self.migrations
            moved[1] = Migration(version: 2, name: "seed", sql: "-- moved elsewhere\n-- previous checksum: \(Self.migrations[1].checksum)\n")
            let none = try await Migrator(schema: "shop", migrations: moved).migrate(client: client, logger: logger)
            XCTAssertEqual(none, [])
        }
    }

    func testPublishedOutboxRowsAreDeletedAfterTheRetention() async throws {
        try await withPostgres { client in
            let logger = Logger(label: "m")
            try await Migrator(schema: "shop", migrations: Self.migrations).migrate(client: client, logger: logger)
            try await client.query("""
                INSERT INTO shop.outbox (id, queue, event_type, payload, published_at) VALUES
                    (gen_random_uuid(), 'core', 'old', '{}', now() - interval '8 days'),
                    (gen_random_uuid(), 'core', 'recent', '{}', now() - interval '1 hour'),
                    (gen_random_uuid(), 'core', 'waiting', '{}', NULL)
                """, logger: logger)
            let redis = try RedisClient(url: TestEnvironment.redisURL(db: 1), logger: logger)
            let relay = OutboxRelay(schema: "shop", postgres: client, logger: logger, retention: .seconds(7 * 86_400)) { JobQueue(name: $0, redis: redis) }
            let purged = try await relay.purgePublished()
            XCTAssertEqual(purged, 1)
            var left: [String] = []
            for try await t in try await client.query("SELECT event_type FROM shop.outbox ORDER BY 1", logger: logger).decode(String.self) { left.append(t) }
            XCTAssertEqual(left, ["recent", "waiting"], "unpublished rows are never purged")
            await redis.close()
        }
    }

    func testScriptSplitting() {
        let statements = SQLScript.statements("""
            CREATE TABLE a (x TEXT DEFAULT ';'); -- trailing; comment
            /* block; comment */ INSERT INTO a VALUES ('it''s; fine');
            DO $body$ BEGIN PERFORM 1; END $body$;
            """)
        XCTAssertEqual(statements.count, 3)
        XCTAssertTrue(statements[1].hasPrefix("INSERT"))
        XCTAssertTrue(statements[2].contains("PERFORM 1;"))
    }
}
