// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "MemVault",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MemVaultCrypto", targets: ["MemVaultCrypto"]),
        .library(name: "MemVaultPolicy", targets: ["MemVaultPolicy"]),
        .library(name: "MemVaultAudit", targets: ["MemVaultAudit"]),
        .library(name: "MemVault", targets: ["MemVault"]),
        .library(name: "MemVaultSQLite", targets: ["MemVaultSQLite"]),
        .library(name: "MemVaultPostgres", targets: ["MemVaultPostgres"]),
        .library(name: "MemVaultEmbedding", targets: ["MemVaultEmbedding"]),
        .library(name: "MemVaultServer", targets: ["MemVaultServer"]),
        .library(name: "MemVaultMCP", targets: ["MemVaultMCP"]),
        .library(name: "MemVaultInterop", targets: ["MemVaultInterop"]),
        .executable(name: "memvault", targets: ["memvault"]),
        .executable(name: "memvault-bench", targets: ["memvault-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // System OpenSSL (libcrypto). Only MemVaultCrypto imports it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The safe Swift API over OpenSSL: the only code in the package that touches raw pointers or OpenSSL.
        .target(
            name: "MemVaultCrypto",
            dependencies: ["COpenSSL"]
        ),
        // The policy language and engine: purposes, categories, rules, consent and retention semantics.
        .target(
            name: "MemVaultPolicy",
            dependencies: ["MemVaultCrypto", .product(name: "Yams", package: "Yams")]
        ),
        // The audit log's verifiable structures: RFC 6962 Merkle trees, hash-chained entries, signed checkpoints.
        .target(
            name: "MemVaultAudit",
            dependencies: ["MemVaultCrypto"]
        ),
        // The domain: access and authorisation, the key hierarchy, the encrypted store and its policy enforcement,
        // over storage protocols. No database code: backends live in their own targets.
        .target(
            name: "MemVault",
            dependencies: [
                "MemVaultCrypto",
                "MemVaultPolicy",
                "MemVaultAudit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded default backend: SQLite through GRDB (catalog, tenant databases, key store, group commit),
        // and the wiring of a local data folder.
        .target(
            name: "MemVaultSQLite",
            dependencies: [
                "MemVault",
                "MemVaultAudit",
                "MemVaultCrypto",
                "MemVaultPolicy",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The backend for deployments beyond one machine: PostgreSQL through postgres-nio (catalog with tenant
        // placement, a schema per tenant, key store), for several stateless servers in front of it.
        .target(
            name: "MemVaultPostgres",
            dependencies: [
                "MemVault",
                "MemVaultAudit",
                "MemVaultCrypto",
                "MemVaultPolicy",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The PostgreSQL server tests run against: a throwaway cluster (scripts/postgres), a database per test.
        .target(
            name: "MemVaultPostgresTestSupport",
            dependencies: ["MemVaultPostgres", "MemVault", "MemVaultCrypto"]
        ),
        // What the forensic tests of both backends look for in files: a subject's artefacts and plaintext markers.
        .target(name: "MemVaultTestSupport"),
        // System OpenBLAS (cblas). Only MemVaultEmbedding imports it.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // A local embedder: all-MiniLM-L6-v2 (WordPiece tokenizer, BERT encoder, mean pooling) in Swift, its matrix
        // products through BLAS, so that no memory content leaves the process to be embedded.
        .target(
            name: "MemVaultEmbedding",
            dependencies: ["COpenBLAS", "MemVault", "MemVaultCrypto"]
        ),
        // Other platforms' formats (MemOS cube dumps, mem0 exports) read into and written from portable cubes.
        // Data conversion only: nothing is stored or decided here.
        .target(
            name: "MemVaultInterop",
            dependencies: ["MemVault"]
        ),
        // The command line: thin commands over the MemVault library.
        // The HTTP server: the OpenAPI document beside it is the contract; its routes and types are generated from
        // it, so the two cannot drift. Tenant and role come from the request's credential.
        .target(
            name: "MemVaultServer",
            dependencies: [
                "MemVault",
                "MemVaultPolicy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "MemVaultMCP",
                "MemVaultInterop",
                "MemVaultCrypto",
                .product(name: "MCP", package: "swift-sdk"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // The MCP server: governed memory tools for agents over the Model Context Protocol, the credential deciding
        // tenant, role and purposes as over HTTP.
        .target(
            name: "MemVaultMCP",
            dependencies: [
                "MemVault",
                "MemVaultPolicy",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "memvault",
            dependencies: [
                "MemVaultInterop",
                "MemVaultMCP",
                "MemVault",
                "MemVaultEmbedding",
                "MemVaultSQLite",
                "MemVaultPostgres",
                "MemVaultAudit",
                "MemVaultCrypto",
                "MemVaultPolicy",
                "MemVaultServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The benchmark program: every figure an issue asks for is one scenario, next to its baseline.
        .executableTarget(
            name: "memvault-bench",
            dependencies: [
                "MemVaultInterop",
                "MemVault",
                "MemVaultEmbedding",
                "MemVaultSQLite",
                "MemVaultPostgres",
                "MemVaultPostgresTestSupport",
                "MemVaultCrypto",
                "MemVaultPolicy",
                "MemVaultAudit",
                "MemVaultServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MemVaultCryptoTests",
            dependencies: ["MemVaultCrypto"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MemVaultPolicyTests",
            dependencies: ["MemVaultPolicy"]
        ),
        .testTarget(
            name: "MemVaultAuditTests",
            dependencies: ["MemVaultAudit", "MemVaultCrypto"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MemVaultTests",
            dependencies: [
                "MemVault", "MemVaultSQLite", "MemVaultCrypto", "MemVaultPolicy", "MemVaultAudit",
                "MemVaultTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        // What every storage backend must pass, parameterised over the backends (SQLite and PostgreSQL).
        .testTarget(
            name: "MemVaultStorageConformanceTests",
            dependencies: [
                "MemVault", "MemVaultSQLite", "MemVaultPostgres", "MemVaultPostgresTestSupport", "MemVaultAudit",
                "MemVaultPolicy",
            ]
        ),
        // The PostgreSQL backend's own behaviour, against a throwaway cluster (scripts/postgres).
        .testTarget(
            name: "MemVaultPostgresTests",
            dependencies: [
                "MemVaultPostgres", "MemVaultPostgresTestSupport", "MemVaultTestSupport", "MemVault", "MemVaultAudit",
                "MemVaultCrypto", "MemVaultPolicy", .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "MemVaultEmbeddingTests",
            dependencies: ["MemVaultEmbedding", "MemVault"],
            resources: [.copy("Fixtures")]
        ),
        // The server over real HTTP on loopback.
        .testTarget(
            name: "MemVaultServerTests",
            dependencies: [
                "MemVaultServer", "MemVault", "MemVaultSQLite", "MemVaultPostgres", "MemVaultPostgresTestSupport",
                "MemVaultPolicy", "MemVaultAudit", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The MCP server's tools and resources, driven by the swift-sdk's own client.
        .testTarget(
            name: "MemVaultMCPTests",
            dependencies: [
                "MemVaultMCP", "MemVault", "MemVaultSQLite", "MemVaultPolicy", "MemVaultAudit",
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .testTarget(
            name: "MemVaultInteropTests",
            dependencies: ["MemVaultInterop", "MemVault", "MemVaultSQLite", "MemVaultPolicy", "MemVaultAudit"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MemVaultCLITests",
            // Depending on the executable makes `swift test` build it, so the tests can run the real binary.
            dependencies: [
                "memvault", "MemVaultPostgres", "MemVaultPostgresTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ]
)

// One set of language settings for every target, as swift-log does.
for target in package.targets where target.type != .system {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .swiftLanguageMode(.v6),
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
            .enableUpcomingFeature("InternalImportsByDefault"),
            .treatAllWarnings(as: .error),
        ]
}
