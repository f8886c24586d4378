// swift-tools-version:6.0
import PackageDescription

// One package, many executables. Every executable target is thin (`main` only);
// its logic lives in a library target that the tests import.
let package = Package(
    name: "TrustTrade",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "auth-service", targets: ["auth-service"]),
        .executable(name: "standins", targets: ["standins"]),
        .executable(name: "notification-service", targets: ["notification-service"]),
        .executable(name: "gateway", targets: ["gateway"]),
        .executable(name: "core-service", targets: ["core-service"]),
        .executable(name: "payment-service", targets: ["payment-service"]),
        .executable(name: "ai-service", targets: ["ai-service"]),
        .executable(name: "file-service", targets: ["file-service"]),
        .executable(name: "redis-bench", targets: ["redis-bench"]),
        .executable(name: "queue-bench", targets: ["queue-bench"]),
        .executable(name: "gateway-bench", targets: ["gateway-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // MARK: Shared
        .target(
            name: "TrustTradeDTO",
            path: "Shared/DTO"
        ),
        // Events as types and the one table of who receives them.
        .target(
            name: "TrustTradeEvents",
            dependencies: ["TrustTradeDTO"],
            path: "Shared/Events"
        ),
        .systemLibrary(
            name: "CHiredis",
            path: "Shared/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Redis"
        ),
        // Bull-style job queue, wire-compatible with BullMQ.
        .target(
            name: "Queue",
            dependencies: [
                "Redis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Queue",
            resources: [.copy("Lua")]
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "TrustTradeDTO",
                "TrustTradeEvents",
                "Redis",
                "Queue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Shared/ServiceKit"
        ),

        // MARK: Services
        .target(
            name: "AuthService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "Queue",
                "TrustTradeDTO",
                "Redis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Auth/Sources",
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "auth-service",
            dependencies: ["AuthService"],
            path: "Services/Auth/Main"
        ),
        .target(
            name: "NotificationService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                "Queue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Services/Notification/Sources",
            resources: [.copy("Migrations"), .copy("Templates")]
        ),
        .executableTarget(
            name: "notification-service",
            dependencies: ["NotificationService"],
            path: "Services/Notification/Main"
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Gateway/Sources",
            resources: [.copy("Store/rate_limit.lua"), .copy("OpenAPI")]
        ),
        .executableTarget(
            name: "gateway",
            dependencies: ["Gateway", "ServiceKit"],
            path: "Services/Gateway/Main"
        ),
        .target(
            name: "CoreService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                "Queue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            path: "Services/Core/Sources",
            resources: [.copy("Migrations")]
        ),
        .target(
            name: "PaymentService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                "Queue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Payment/Sources",
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "payment-service",
            dependencies: ["PaymentService"],
            path: "Services/Payment/Main"
        ),
        .target(
            name: "AIService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                "Queue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Services/AI/Sources",
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "ai-service",
            dependencies: ["AIService"],
            path: "Services/AI/Main"
        ),
        .systemLibrary(name: "CLibVips", path: "Shared/CLibVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "VipsShim", dependencies: ["CLibVips"], path: "Shared/VipsShim"),
        .target(
            name: "FileService",
            dependencies: [
                "TrustTradeEvents",
                "ServiceKit",
                "TrustTradeDTO",
                "Redis",
                "Queue",
                "VipsShim",
                "CLibVips",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            path: "Services/File/Sources",
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "file-service",
            dependencies: ["FileService"],
            path: "Services/File/Main"
        ),
        .executableTarget(
            name: "file-bench",
            dependencies: ["FileService", "VipsShim"],
            path: "Benchmarks/FileBench"
        ),
        .executableTarget(
            name: "matching-bench",
            dependencies: ["AIService"],
            path: "Benchmarks/MatchingBench"
        ),
        .executableTarget(
            name: "nlp-eval",
            dependencies: ["AIService"],
            path: "Benchmarks/NLPEval"
        ),
        .executableTarget(
            name: "core-service",
            dependencies: ["CoreService"],
            path: "Services/Core/Main"
        ),
        // Local stand-ins for providers that live on the internet (OAuth today;
        // PayMongo, mail and SMS later). They speak the real HTTP protocols.
        .target(
            name: "StandIns",
            dependencies: [
                "ServiceKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Services/StandIns/Sources"
        ),
        .executableTarget(
            name: "standins",
            dependencies: ["StandIns"],
            path: "Services/StandIns/Main"
        ),

        // MARK: Benchmarks
        .executableTarget(
            name: "redis-bench",
            dependencies: [
                "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/RedisBench"
        ),

        .executableTarget(
            name: "queue-bench",
            dependencies: [
                "Queue",
                "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/QueueBench"
        ),

        .executableTarget(
            name: "search-bench",
            dependencies: [
                "CoreService",
                "ServiceKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/SearchBench"
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["ServiceKit", "VipsShim", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/Support"
        ),
        .executableTarget(
            name: "gateway-bench",
            dependencies: [
                "ServiceKit",
                "TrustTradeDTO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/GatewayBench"
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway",
                "ServiceKit",
                "Redis",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/GatewayTests"
        ),
        .testTarget(
            name: "CoreServiceTests",
            dependencies: [
                "CoreService",
                "FileService",
                "AuthService",
                "ServiceKit",
                "Queue",
                "Redis",
                "TrustTradeDTO",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            ],
            path: "Tests/CoreServiceTests"
        ),
        .testTarget(
            name: "PaymentServiceTests",
            dependencies: [
                "PaymentService",
                "AuthService",
                "StandIns",
                "ServiceKit",
                "Queue",
                "Redis",
                "TrustTradeDTO",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/PaymentServiceTests"
        ),
        .testTarget(
            name: "AIServiceTests",
            dependencies: [
                "AIService",
                "AuthService",
                "ServiceKit",
                "Queue",
                "Redis",
                "TrustTradeDTO",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/AIServiceTests"
        ),
        .testTarget(
            name: "FileServiceTests",
            dependencies: [
                "FileService",
                "AuthService",
                "ServiceKit",
                "TrustTradeDTO",
                "TestSupport",
                "VipsShim",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/FileServiceTests"
        ),
        .testTarget(name: "DTOTests", dependencies: ["TrustTradeDTO"], path: "Tests/DTOTests"),
        // The subscription table against the services' handlers, deploy/services.json and docs/architecture.md.
        .testTarget(
            name: "EventTests",
            dependencies: ["TrustTradeEvents", "AuthService", "CoreService", "PaymentService", "NotificationService", "FileService", "AIService"],
            path: "Tests/EventTests"
        ),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"], path: "Tests/RedisTests"),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "Redis", "TestSupport"], path: "Tests/QueueTests"),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit",
                "TestSupport",
                "Queue",
                "Redis",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/ServiceKitTests"
        ),
        .testTarget(
            name: "NotificationServiceTests",
            dependencies: [
                "NotificationService",
                "AuthService",
                "StandIns",
                "TestSupport",
                "Queue",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/NotificationServiceTests"
        ),
        .testTarget(
            name: "AuthServiceTests",
            dependencies: [
                "AuthService",
                "StandIns",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            path: "Tests/AuthServiceTests"
        ),
    ]
)
