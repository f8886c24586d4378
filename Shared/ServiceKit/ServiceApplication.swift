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
) -> some ApplicationProtocol where Context: ServiceRequestContext, Context.Source == ApplicationRequestContextSource {
    router.addRouteListing(credential: ServiceCredential(secret: common.internalSecret))
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

/// One route a service serves: `GET /v1/bookings/{id}`.
public struct ServedRoute: Codable, Sendable, Hashable {
    public var method: String
    public var path: String
}

extension Router where Context: ServiceRequestContext {
    /// `GET /internal/routes`: the public (`/v1`) routes this service serves,
    /// paths written as OpenAPI writes them (`{id}`), so the published API
    /// description can be checked against what really runs.
    /// Called once every other route is in (the list is taken now).
    public func addRouteListing(credential: ServiceCredential) {
        let served = publicRoutes
        group("internal").add(middleware: InternalOnlyMiddleware(credential: credential)).get("routes") { _, _ in
            Envelope(served)
        }
    }

    var publicRoutes: [ServedRoute] {
        routes.map { ServedRoute(method: $0.method.rawValue, path: $0.path.description) }
            .filter { $0.path.hasPrefix("/v1/") }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }
}
