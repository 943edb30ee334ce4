// swift-tools-version:6.2
import PackageDescription

// Layers, bottom to top (each target only imports the ones below it):
//   CivilTime (RFC 3339 from and to integer epoch time), under everything that prints or reads a time
//   Crdkafka (C, librdkafka) -> Kafka (no payout knowledge) -> EmbeddedKafka (librdkafka's mock cluster)
//   DollrClient (HTTP client, money, secrets) -> DollrSandbox (a faithful fake Dollr)
//   PayoutEngine (store, state machine, ledger, outbox; no Kafka) on DollrClient
//   PayoutWorker (runtime: Kafka intake, outbox relay, dead letters, admin HTTP, metrics) on all of them
//   CommandSupport (what both executables' commands share) on PayoutWorker
//   PayoutWorkerCLI: the product, `payout-worker` (run, console, operator commands).
//   PayoutLab: the lab, `payout-lab` (demo, bench, chaos, broker, sandbox), on the above and
//     EmbeddedKafka, DollrSandbox, LocalPostgres and CBenchCeilings, which the product never links.
// Every warning is an error: the house builds clean, and a new warning stops the build that brought it.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "payout-worker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payout-worker", targets: ["PayoutWorkerCLI"]),
        .executable(name: "payout-lab", targets: ["PayoutLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The operator console: server-rendered templates, and the session and CSRF signatures
        // (swift-crypto is already built for postgres-nio).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Tracing: the API in the libraries, swift-otel's OTLP/HTTP exporter in the executable only
        // (its gRPC exporter is left out: it would build grpc-swift for nothing).
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        // Tests only: property-based generators and seeded, shrinking checks for Swift Testing.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // Tests only: the compose-file test reads docker-compose.yml with a real YAML parser.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // `swift package generate-documentation`: the DocC catalogs of Kafka, DollrClient and PayoutEngine.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // librdkafka 2.0.2 from Debian (`librdkafka-dev`), headers rdkafka.h and rdkafka_mock.h.
        .systemLibrary(
            name: "Crdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // RFC 3339 time from and to integer epoch time: events, logs, the CLI, Dollr's responses, the sandbox.
        .target(
            name: "CivilTime",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Kafka",
            dependencies: [
                "Crdkafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // An embedded broker for the tests and the lab, on Kafka's `package` internals.
        .target(
            name: "EmbeddedKafka",
            dependencies: [
                "Crdkafka",
                "Kafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DollrClient",
            dependencies: [
                "CivilTime",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DollrSandbox",
            dependencies: [
                "CivilTime",
                "DollrClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PayoutEngine",
            dependencies: [
                "CivilTime",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "DollrClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PayoutWorker",
            dependencies: [
                "CivilTime",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "Kafka",
                "DollrClient",
                "PayoutEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What both executables' commands share: logging flags, signal handling, the parent watch,
        // stdout lines and tables, the failure a command reports.
        .target(
            name: "CommandSupport",
            dependencies: [
                "PayoutWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The product: `payout-worker` (run, console and the operator's commands). No lab target is
        // in its closure (a test reads the package description and the built binary to hold it so).
        .executableTarget(
            name: "PayoutWorkerCLI",
            dependencies: [
                "CivilTime",
                "CommandSupport",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "Kafka",
                "DollrClient",
                "PayoutEngine",
                "PayoutWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The lab: `payout-lab` (demo, bench, chaos, broker, sandbox), on the stand-ins the product
        // never links. `bench` and `chaos` run `payout-worker` from the binary next to it.
        .executableTarget(
            name: "PayoutLab",
            dependencies: [
                "ChildSpawn",
                "CommandSupport",
                "Kafka",
                "EmbeddedKafka",
                "DollrClient",
                "DollrSandbox",
                "PayoutEngine",
                "PayoutWorker",
                "LocalPostgres",
                "CBenchCeilings",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `payout-lab bench` only: the librdkafka ceiling, a plain C consumer loop with no layer of ours above it.
        .target(
            name: "CBenchCeilings",
            dependencies: ["Crdkafka"]
        ),
        // Starting child processes with nothing inherited but stdin, stdout and stderr: the lab and the tests.
        .target(
            name: "ChildSpawn",
            swiftSettings: swiftSettings
        ),
        // A disposable PostgreSQL on loopback (Debian's binaries), for the tests and `payout-lab chaos`.
        .target(
            name: "LocalPostgres",
            dependencies: ["ChildSpawn"],
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets: waiting on events, deadlines, child processes, seeded properties.
        .target(
            name: "TestSupport",
            dependencies: [
                "ChildSpawn",
                "LocalPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CivilTimeTests",
            dependencies: ["CivilTime"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: [
                "Kafka", "EmbeddedKafka", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayoutEngineTests",
            dependencies: [
                "PayoutEngine",
                "DollrClient",
                "DollrSandbox",
                "TestSupport",
                "LocalPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayoutWorkerTests",
            dependencies: [
                "PayoutWorker",
                "PayoutEngine",
                "DollrClient",
                "DollrSandbox",
                "Kafka",
                "EmbeddedKafka",
                "TestSupport",
                "LocalPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Spawns the `payout-worker` binary, and reads the package description and that binary to
        // hold that no lab target is linked into it.
        .testTarget(
            name: "PayoutWorkerCLITests",
            dependencies: [
                "CivilTime",
                "PayoutWorkerCLI",
                "DollrClient",
                "DollrSandbox",
                "Kafka",
                "EmbeddedKafka",
                "LocalPostgres",
                "PayoutEngine",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Spawns the `payout-lab` binary for most tests; imports its module (`@testable`) for the
        // chaos harness's own logic, which has no command of its own to drive it.
        .testTarget(
            name: "PayoutLabTests",
            dependencies: [
                "PayoutLab",
                "DollrSandbox",
                "Kafka",
                "LocalPostgres",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DollrClientTests",
            dependencies: [
                "DollrClient",
                "DollrSandbox",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
