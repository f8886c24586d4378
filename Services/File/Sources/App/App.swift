import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import ServiceLifecycle
import TrustTradeDTO

public func fileMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

/// Builds the file service: streamed, sniffed, scanned uploads; WebP
/// variants; disk or S3 storage; signed links.
public func buildApplication(config: FileConfig, storage override: BlobStorage? = nil, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let storage: BlobStorage
    if let override {
        storage = override
    } else if config.storage == "s3" {
        let s3 = S3Storage(endpoint: config.s3Endpoint, bucket: config.s3Bucket, region: config.s3Region, accessKey: config.s3AccessKey,
                           secretKey: config.s3SecretKey)
        if config.s3CreateBucket { try await s3.ensureBucket() }
        storage = s3
    } else {
        storage = try DiskStorage(root: config.storagePath)
    }
    let store = FileStore(client: postgres, logger: logger)
    let scanner: FileScanner? = config.clamdHost.isEmpty ? nil : ClamdScanner(host: config.clamdHost, port: config.clamdPort)
    let uploads = Uploads(
        limits: config.limits, scanner: scanner, scannerRequired: config.scanRequired, images: try ImageProcessor(), storage: storage, store: store,
        tempDirectory: URL(fileURLWithPath: config.tempDirectory, isDirectory: true), logger: logger)

    // Deleted files' objects are removed by the queue (retried until storage answers).
    let events = FileEvents.handlers
    let worker = QueueWorker(queue: events.queue.name, redis: redis, options: config.common.workerOptions(concurrency: config.workerConcurrency), logger: logger,
                             handler: events.bind(.init(storage: storage)))
    let relay = OutboxRelay(schema: "file", postgres: postgres, logger: logger, retention: config.common.outboxRetention) { name in JobQueue(name: name, redis: redis) }

    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: RedisSessionChecker(redis: redis))
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    FileController(uploads: uploads, store: store, storage: storage, signer: URLSigner(secret: config.urlSecret),
                   publicBaseURL: config.publicBaseURL, linkLifetime: config.linkLifetimeSeconds).addRoutes(
        signedIn: router.group("v1/files").add(middleware: AuthenticationMiddleware(verifier: verifier)),
        open: router.group("v1/files").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)),
        service: router.group("internal/files").add(middleware: InternalOnlyMiddleware(credential: ServiceCredential(secret: config.common.internalSecret))))

    return serviceApplication(
        router: router, common: config.common, schema: "file", migrations: try fileMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker, relay], logger: logger)
}
