// swift-tools-version: 6.1
import PackageDescription

// Layers, bottom to top: CLMDB/CCRC32C/CSHA256 (C) -> CatalogueStorage (LMDB event log),
// CatalogueDomain (pure model) and CatalogueHardware (changers) -> CatalogueEngine (writer,
// snapshots, robot operations) -> CatalogueJSON (the JSON model) -> CatalogueExport -> mediactl. Each target names exactly the modules it imports.
let package = Package(
    name: "MediaCatalogue",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CatalogueEngine", targets: ["CatalogueEngine"]),
        .library(name: "CatalogueDomain", targets: ["CatalogueDomain"]),
        .library(name: "CatalogueStorage", targets: ["CatalogueStorage"]),
        .library(name: "CatalogueJSON", targets: ["CatalogueJSON"]),
        .library(name: "CatalogueExport", targets: ["CatalogueExport"]),
        .executable(name: "mediactl", targets: ["mediactl"]),
        .executable(name: "catalogue-crash-workload", targets: ["CrashWorkload"]),
        .executable(name: "mediactl-bench", targets: ["CatalogueBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(
            url: "https://github.com/apple/swift-collections", from: "1.6.0",
            traits: ["UnstableSortedCollections"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
        // `swift package generate-documentation`: tools/test builds CatalogueEngine's DocC catalogue.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "CCRC32C"),
        // The chain's SHA-256, from the system's OpenSSL libcrypto (Debian libssl-dev).
        .target(name: "CSHA256", linkerSettings: [.linkedLibrary("crypto")]),
        .target(
            name: "CatalogueStorage",
            dependencies: [
                "CLMDB",
                "CCRC32C",
                "CSHA256",
            ]
        ),
        .target(
            name: "CatalogueDomain",
            dependencies: [
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "SortedCollections", package: "swift-collections"),
            ]
        ),
        // Knows no catalogue: its own error type, mapped to NTMS errors by the engine.
        .target(
            name: "CatalogueHardware",
            dependencies: [
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "CatalogueEngine",
            dependencies: [
                "CatalogueStorage",
                "CatalogueDomain",
                "CatalogueHardware",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The JSON model: what the CLI prints and a network API will serve.
        // Carries the model's JSON Schema (a copy of docs/schema/v1, which a test keeps equal) for the OpenAPI document.
        .target(
            name: "CatalogueJSON", dependencies: ["CatalogueEngine", "CatalogueDomain"],
            resources: [.copy("Resources/mediactl.schema.json")]),
        // Exports for business-intelligence tools: SQLite (GRDB), CSV and JSON lines.
        .target(
            name: "CatalogueExport",
            dependencies: [
                "CatalogueJSON",
                "CatalogueEngine",
                "CatalogueDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
                // GRDB's own module of the SQLite C API, for binding an export's rows without boxing them.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        // The catalogue as an HTTP service: routes, authentication, the change stream, /metrics.
        .target(
            name: "CatalogueServer",
            dependencies: [
                "CatalogueJSON",
                "CatalogueEngine",
                "CatalogueDomain",
                "CatalogueStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
        // The API's client: what `mediactl --server` runs commands through.
        .target(
            name: "CatalogueClient",
            dependencies: [
                "CatalogueJSON",
                "CatalogueDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "mediactl",
            dependencies: [
                "CatalogueServer",
                "CatalogueClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                "CatalogueExport",
                "CatalogueJSON",
                "CatalogueEngine",
                "CatalogueDomain",
                "CatalogueHardware",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        .executableTarget(
            name: "CrashWorkload",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                "CatalogueEngine",
                "CatalogueDomain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "CatalogueBench",
            dependencies: [
                "CatalogueServer",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                "CatalogueExport",
                "CatalogueJSON",
                "CatalogueEngine",
                "CatalogueDomain",
                "CatalogueStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the fuzz targets check, as a library so the test suite replays the corpora too.
        // Every target names the modules it imports: the incremental build tracks only direct ones.
        .target(
            name: "CatalogueFuzzChecks",
            dependencies: [
                "CatalogueEngine", "CatalogueDomain", "CatalogueHardware", "CatalogueStorage", "CatalogueJSON",
            ],
            path: "Fuzz/Checks"),
        .testTarget(name: "CatalogueStorageTests", dependencies: ["CatalogueStorage"]),
        .testTarget(
            name: "CatalogueDomainTests",
            dependencies: ["CatalogueDomain", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "CatalogueEngineTests",
            dependencies: [
                "CatalogueEngine", "CatalogueDomain", "CatalogueStorage", "CatalogueHardware",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        // CatalogueBench is built for the benchmark smoke test, which runs it.
        .testTarget(
            name: "MediactlTests",
            dependencies: ["CatalogueEngine", "CatalogueDomain", "CatalogueJSON", "mediactl", "CatalogueBench"]),
        .testTarget(
            name: "CatalogueServerTests",
            dependencies: [
                "CatalogueServer", "CatalogueClient", "CatalogueEngine", "CatalogueDomain", "CatalogueJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "CatalogueExportTests",
            dependencies: [
                "CatalogueExport", "CatalogueEngine", "CatalogueDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "CatalogueHardwareTests",
            dependencies: ["CatalogueHardware", .product(name: "Atomics", package: "swift-atomics")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["CatalogueFuzzChecks"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, built only by tools/fuzz (MEDIACATALOGUE_FUZZ=1) because
// they need unsafe flags and `swift build --sanitize=fuzzer`.
if Context.environment["MEDIACATALOGUE_FUZZ"] != nil {
    for name in ["FuzzEventDecoder", "FuzzNames", "FuzzCheckpoint", "FuzzMtxStatus", "FuzzRequestBodies"] {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: ["CatalogueFuzzChecks"], path: "Fuzz/Targets/\(name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
