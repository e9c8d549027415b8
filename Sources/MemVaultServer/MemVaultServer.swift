public import Hummingbird
import HummingbirdTLS
public import Logging
public import MemVault
import NIOCore
import NIOSSL
import OpenAPIHummingbird
import OpenAPIRuntime
import ServiceLifecycle

/// The HTTP front door: the generated routes over a store, on the given host and port.
public struct MemVaultServer: Sendable {
    /// How the server listens and what it accepts.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The largest request body accepted; larger ones are answered 413 before they are read in full.
        public var maximumBodyBytes: Int
        /// How long a request may take, from its head to its answer; past it, 503 with `request_timeout`.
        public var requestTimeout: Duration
        /// HTTPS with this certificate; nil for plain HTTP (which `memvault serve` allows on loopback only).
        public var tls: TLSFiles?
        /// How often every tenant's retention is swept; nil: never (run `memvault retention sweep` instead).
        public var retentionInterval: Duration?
        /// How often due audit checkpoints are signed (every `auditCheckpointInterval` entries of a log).
        public var checkpointInterval: Duration
        /// How often the indexer embeds what waits, when the server has an embedder.
        public var indexInterval: Duration
        /// The purpose the indexer declares when it embeds memories (it must be one the tenant's policy declares).
        public var indexerPurpose: String
        /// The hosts and browser origins `/mcp` accepts (DNS-rebinding protection); loopback by default.
        public var mcpOrigins: MCPOrigins

        public init(
            host: String = "127.0.0.1", port: Int = 8080, maximumBodyBytes: Int = 2 << 20,
            requestTimeout: Duration = .seconds(60), tls: TLSFiles? = nil,
            retentionInterval: Duration? = .seconds(3_600),
            checkpointInterval: Duration = .seconds(60), indexInterval: Duration = .seconds(2),
            indexerPurpose: String = "service-delivery", mcpOrigins: MCPOrigins = .loopback
        ) {
            self.mcpOrigins = mcpOrigins
            self.host = host
            self.port = port
            self.maximumBodyBytes = maximumBodyBytes
            self.requestTimeout = requestTimeout
            self.tls = tls
            self.retentionInterval = retentionInterval
            self.checkpointInterval = checkpointInterval
            self.indexInterval = indexInterval
            self.indexerPurpose = indexerPurpose
        }
    }

    /// The `Host` values and browser `Origin`s the MCP endpoint accepts: requests naming others are refused (421
    /// and 403), so a web page cannot reach a local server through DNS rebinding. Patterns may end in `:*` (any
    /// port). A request without `Origin` (not from a browser) is not refused for it.
    public struct MCPOrigins: Sendable {
        public var hosts: [String]
        public var origins: [String]

        public init(hosts: [String], origins: [String]) {
            self.hosts = hosts
            self.origins = origins
        }

        public static let loopback = MCPOrigins(
            hosts: ["127.0.0.1:*", "localhost:*", "[::1]:*"],
            origins: ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"])
    }

    /// A PEM certificate chain and its PEM private key.
    public struct TLSFiles: Sendable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }

        /// TLS 1.2 and later, with the files' certificate and key; a file that does not load is an error naming it.
        func configuration() throws -> TLSConfiguration {
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificateChain)
            } catch {
                throw MemVaultError(.invalidArgument, "the certificate chain \(certificateChain) does not load as PEM")
            }
            do {
                key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
            } catch {
                throw MemVaultError(.invalidArgument, "the private key \(privateKey) does not load as PEM")
            }
            guard !chain.isEmpty else {
                throw MemVaultError(.invalidArgument, "the certificate chain \(certificateChain) holds no certificate")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        }
    }

    public let store: MemoryStore
    public let configuration: Configuration
    /// Embeds search queries (hybrid search) and, in the background, memories waiting in cubes that name it.
    public let embedder: (any Embedder)?
    public let metrics: MetricsExposition?
    public let logger: Logger

    public init(
        store: MemoryStore, configuration: Configuration = Configuration(), embedder: (any Embedder)? = nil,
        metrics: MetricsExposition? = nil, logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.embedder = embedder
        self.metrics = metrics
        self.logger = logger
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully (requests in flight finish).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onListening: onListening).runService()
    }

    /// The application, ready to run. `onListening` hears the port it listens on (the one given, or the one the
    /// system chose for port 0).
    public func application(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let readiness = Readiness()
        let router = Router()
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(
            RequestLimitsMiddleware(
                maximumBodyBytes: configuration.maximumBodyBytes, maximumBundleBytes: store.limits.maximumBundleBytes,
                timeout: configuration.requestTimeout))
        router.middlewares.add(BearerTokenMiddleware())
        router.middlewares.add(SubjectScopeMiddleware())
        try API(store: store, embedder: embedder, readiness: readiness, metrics: metrics).registerHandlers(
            on: router, configuration: Configuration.openAPI, middlewares: [RequestProblemMiddleware()])
        let mcp = MCPEndpoint(store: store, embedder: embedder, origins: configuration.mcpOrigins, logger: logger)
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("/mcp", method: method) { [maximumBodyBytes = configuration.maximumBodyBytes] request, _ in
                await mcp.handle(request, body: try await request.body.collect(upTo: maximumBodyBytes))
            }
        }
        return Application(
            router: router,
            server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: try $0.configuration()) }
                ?? .http1(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "MemVault"),
            services: [ReadinessDrain(readiness: readiness), MCPSessionsService(endpoint: mcp)] + maintenanceServices(),
            onServerRunning: { channel in
                readiness.set(true)
                await onListening(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }
}

extension MemVaultServer {
    /// The background services: checkpoints always, retention sweeps if an interval is set, the indexer with an
    /// embedder.
    func maintenanceServices() -> [any Service] {
        let maintenance = Maintenance(
            store: store, embedder: embedder, indexerPurpose: configuration.indexerPurpose, logger: logger)
        var services: [any Service] = [
            PeriodicService(
                name: "checkpoints", interval: configuration.checkpointInterval, logger: logger,
                pass: maintenance.signDueCheckpoints)
        ]
        if let interval = configuration.retentionInterval {
            services.append(
                PeriodicService(
                    name: "retention", interval: interval, logger: logger, pass: maintenance.sweepRetention))
        }
        if embedder != nil {
            services.append(
                PeriodicService(
                    name: "indexer", interval: configuration.indexInterval, logger: logger, pass: maintenance.index))
        }
        return services
    }
}

extension MemVaultServer.Configuration {
    /// Dates with milliseconds, the precision MemVault stores.
    static let openAPI = OpenAPIRuntime.Configuration(dateTranscoder: MillisecondDates())
}
