import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PostgresNIO
import ServiceLifecycle

extension Migration {
    /// The numbered SQL files a service ships in its bundle's `Migrations` folder.
    public static func bundled(in bundle: Bundle) throws -> [Migration] {
        guard let url = bundle.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.badFileName("Migrations folder missing from the bundle")
        }
        return try Migration.load(from: url)
    }
}

/// The application every Postgres-backed service runs: the HTTP server, the
/// Postgres and Redis pools, and workers that start only once the service's
/// schema is migrated (so a job never meets an old schema).
public func serviceApplication<Context: RequestContext>(
    router: Router<Context>,
    common: CommonConfig,
    schema: String,
    migrations: [Migration],
    postgres: PostgresClient,
    services: [any Service],
    afterMigration: [any Service],
    server: HTTPServerBuilder = .http1(),
    logger: Logger
) -> some ApplicationProtocol where Context.Source == ApplicationRequestContextSource {
    let migrated = StartGate()
    var app = Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(common.host, port: common.port), serverName: common.serviceName),
        services: [postgres] + services + afterMigration.map { GatedService(gate: migrated, $0) },
        logger: logger
    )
    app.beforeServerStarts {
        try await Migrator(schema: schema, migrations: migrations).migrate(client: postgres, logger: logger)
        await migrated.open()
    }
    return app
}
