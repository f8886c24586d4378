import Foundation
import Logging
import PostgresNIO
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
            XCTAssertEqual(tables, ["schema_migrations", "widgets"])
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
