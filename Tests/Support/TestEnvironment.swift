import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// What `make test` started: PostgreSQL and Redis whose URLs come in the
/// environment. Each suite makes its own database and uses its own Redis
/// database number, so suites run in parallel and in any order.
public enum TestEnvironment {
    public static var databaseURL: String {
        ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "postgres://trusttrade:trusttrade@127.0.0.1:5432/trusttrade"
    }

    public static var redisURL: String {
        ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
    }

    /// The Redis URL with another database number.
    public static func redisURL(db: Int) -> String {
        var components = URLComponents(string: redisURL)!
        components.path = "/\(db)"
        return components.string!
    }

    /// Creates an empty database and returns its URL.
    public static func freshDatabase(_ label: String) async throws -> String {
        let name = "tt_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
        let components = URLComponents(string: databaseURL)!
        let config = PostgresConnection.Configuration(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5432,
            username: components.user ?? "postgres", password: components.password,
            database: components.path.split(separator: "/").first.map(String.init), tls: .disable
        )
        let logger = Logger(label: "test-db")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
        } catch {
            throw TestSetupError("cannot connect to \(databaseURL): \(String(reflecting: error))")
        }
        defer { Task { try? await connection.close() } }
        do {
            _ = try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        } catch {
            throw TestSetupError(String(reflecting: error))
        }
        var url = components
        url.path = "/\(name)"
        return url.string!
    }

    /// Runs `body` with a running client on the database at `url`.
    public static func withDatabase<T: Sendable>(
        _ url: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        try await Database.withClient(url: url, logger: logger, body)
    }

    /// A unique email per test, so tests never collide on accounts.
    public static func uniqueEmail(_ hint: String = "user") -> String {
        "\(hint).\(UUID().uuidString.prefix(8).lowercased())@example.ph"
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
