// swift-tools-version: 6.1
import PackageDescription

// Layers, bottom to top: CLMDB/CCRC32C (C) -> CatalogueStorage (LMDB event log)
// and CatalogueDomain (pure model) -> CatalogueEngine (writer, snapshots) -> mediactl.
let package = Package(
    name: "MediaCatalogue",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CatalogueEngine", targets: ["CatalogueEngine"]),
        .library(name: "CatalogueDomain", targets: ["CatalogueDomain"]),
        .executable(name: "mediactl", targets: ["mediactl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(
            url: "https://github.com/apple/swift-collections", from: "1.6.0",
            traits: ["UnstableSortedCollections"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "CCRC32C"),
        .target(
            name: "CatalogueStorage",
            dependencies: [
                "CLMDB",
                "CCRC32C",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CatalogueDomain",
            dependencies: [
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "SortedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "CatalogueEngine",
            dependencies: [
                "CatalogueStorage",
                "CatalogueDomain",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mediactl",
            dependencies: [
                "CatalogueEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CatalogueStorageTests", dependencies: ["CatalogueStorage"]),
        .testTarget(
            name: "CatalogueDomainTests",
            dependencies: ["CatalogueDomain", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "CatalogueEngineTests", dependencies: ["CatalogueEngine", "CatalogueStorage"]),
        .testTarget(name: "MediactlTests", dependencies: ["CatalogueEngine", "mediactl"]),
    ],
    swiftLanguageModes: [.v6]
)
