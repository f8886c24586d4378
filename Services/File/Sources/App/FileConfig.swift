import Foundation
import ServiceKit

/// Everything the file service reads from its environment.
public struct FileConfig: Sendable {
    public var common: CommonConfig
    public var limits: UploadLimits
    /// disk (default) or s3.
    public var storage: String
    public var storagePath: String
    public var tempDirectory: String
    /// clamd's address; "" turns scanning off (then FILE_SCAN_REQUIRED decides).
    public var clamdHost: String
    public var clamdPort: Int
    /// Refuse uploads (503) when clamd cannot be reached; default true.
    public var scanRequired: Bool
    /// Signs links (HMAC-SHA256).
    public var urlSecret: String
    /// Where signed links point: the gateway or a CDN in front of it.
    public var publicBaseURL: String
    public var linkLifetimeSeconds: Int64
    public var workerConcurrency: Int
    /// S3 (FILE_STORAGE=s3): endpoint, bucket, region, keys; path-style URLs.
    public var s3Endpoint: String
    public var s3Bucket: String
    public var s3Region: String
    public var s3AccessKey: String
    public var s3SecretKey: String
    /// Create the bucket at start (development, tests).
    public var s3CreateBucket: Bool

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "file-service", defaultPort: 3004, settings: settings)
        limits = UploadLimits(image: Int64(try settings.int("FILE_MAX_IMAGE_BYTES", default: 10 * 1024 * 1024)),
                              document: Int64(try settings.int("FILE_MAX_DOCUMENT_BYTES", default: 50 * 1024 * 1024)),
                              maxPixels: Int64(try settings.int("FILE_MAX_IMAGE_PIXELS", default: 50_000_000)))
        storage = settings.string("FILE_STORAGE", default: "disk")
        storagePath = settings.string("FILE_STORAGE_PATH", default: ".data/files")
        tempDirectory = settings.string("FILE_TEMP_DIR", default: NSTemporaryDirectory())
        clamdHost = settings.string("CLAMD_HOST", default: "127.0.0.1")
        clamdPort = try settings.int("CLAMD_PORT", default: 3310)
        scanRequired = try settings.bool("FILE_SCAN_REQUIRED", default: true)
        urlSecret = settings.string("FILE_URL_SECRET", default: "dev-only-file-url-secret")
        publicBaseURL = settings.string("FILE_PUBLIC_BASE_URL", default: "http://localhost:8080").withoutTrailingSlash
        linkLifetimeSeconds = Int64(try settings.int("FILE_LINK_LIFETIME_SECONDS", default: 900))
        workerConcurrency = try settings.int("FILE_WORKER_CONCURRENCY", default: 4)
        s3Endpoint = settings.string("S3_ENDPOINT", default: "https://s3.ap-southeast-1.amazonaws.com")
        s3Bucket = settings.string("S3_BUCKET", default: "trusttrade-files")
        s3Region = settings.string("S3_REGION", default: "ap-southeast-1")
        s3AccessKey = settings.string("S3_ACCESS_KEY_ID", default: "")
        s3SecretKey = settings.string("S3_SECRET_ACCESS_KEY", default: "")
        s3CreateBucket = try settings.bool("S3_CREATE_BUCKET", default: false)
        guard ["disk", "s3"].contains(storage) else { throw ConfigurationError(key: "FILE_STORAGE", message: "must be disk or s3") }
    }
}
