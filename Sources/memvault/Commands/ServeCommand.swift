import ArgumentParser
import Foundation
import MemVault
import MemVaultPolicy
import MemVaultServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (docs/openapi.yaml) on the data folder.",
        discussion: """
            Listens on 127.0.0.1:8080 unless told otherwise. On the first start (no active installation \
            administrator credential yet) it makes one and prints its token once. SIGINT or SIGTERM shut it down \
            gracefully.
            """
    )

    @OptionGroup var options: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Option(
        name: .customLong("max-body-bytes"),
        help: "The largest request body accepted (larger: 413).") var maximumBodyBytes = 2 << 20
    @Option(
        name: .customLong("request-timeout"),
        help: "Seconds a request may take before it is answered 503 request_timeout.") var requestTimeout = 60
    @Option(
        name: .customLong("tls-certificate"),
        help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "path"))
    var tlsCertificate: String?
    @Option(
        name: .customLong("tls-key"), help: ArgumentHelp("The certificate's PEM private key.", valueName: "path"))
    var tlsKey: String?
    @OptionGroup var model: ModelOptions
    @Flag(
        name: .customLong("no-embedder"),
        help:
            "Neither embed search queries nor run the indexer (cubes that name a model are then searched lexically only when asked to be)."
    )
    var noEmbedder = false
    @Option(
        name: .customLong("retention-interval"),
        help: "Seconds between retention sweeps of every tenant (0: none; sweep with `memvault retention sweep`).")
    var retentionInterval = 3_600
    @Option(
        name: .customLong("checkpoint-interval"), help: "Seconds between signing the audit checkpoints that are due.")
    var checkpointInterval = 60
    @Option(
        name: .customLong("indexer-purpose"),
        help: "The purpose the background indexer declares when it embeds memories.")
    var indexerPurpose = "service-delivery"
    @Option(
        name: .customLong("mcp-allowed-host"),
        help: ArgumentHelp(
            "A Host the MCP endpoint (/mcp) accepts, e.g. memvault.example.com or memvault.example.com:* (repeatable; "
                + "default: loopback only). Others are refused: DNS-rebinding protection.", valueName: "host"))
    var mcpAllowedHosts: [String] = []
    @Option(
        name: .customLong("mcp-allowed-origin"),
        help: ArgumentHelp(
            "A browser Origin the MCP endpoint accepts, e.g. https://app.example.com (repeatable; default: loopback).",
            valueName: "origin"))
    var mcpAllowedOrigins: [String] = []
    @Flag(
        name: .customLong("allow-plain-http"),
        help: "Serve plain HTTP on an address other than loopback (bearer tokens then cross the network in clear).")
    var allowPlainHTTP = false

    func validate() throws {
        guard maximumBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
        guard retentionInterval >= 0, checkpointInterval > 0 else {
            throw ValidationError("--retention-interval must be 0 or more, --checkpoint-interval positive")
        }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("give --tls-certificate and --tls-key together")
        }
        if tlsCertificate == nil, !allowPlainHTTP, !["127.0.0.1", "::1", "localhost"].contains(host) {
            throw ValidationError(
                "plain HTTP would carry credentials in clear on \(host): give --tls-certificate and --tls-key, or "
                    + "--allow-plain-http behind a TLS-terminating proxy")
        }
    }

    /// Loopback, plus what is given.
    private var mcpOrigins: MemVaultServer.MCPOrigins {
        let loopback = MemVaultServer.MCPOrigins.loopback
        return .init(hosts: loopback.hosts + mcpAllowedHosts, origins: loopback.origins + mcpAllowedOrigins)
    }

    private var tls: MemVaultServer.TLSFiles? {
        guard let tlsCertificate, let tlsKey else { return nil }
        return .init(certificateChain: tlsCertificate, privateKey: tlsKey)
    }

    func run() async throws {
        do {
            // Bootstrapped before the store opens, so that the store's counters report to it.
            let metrics = MetricsExposition.process
            try await options.withStore(serving: true) { store in
                let bootstrap = try await bootstrapCredential(store)
                let server = MemVaultServer(
                    store: store,
                    configuration: .init(
                        host: host, port: port, maximumBodyBytes: maximumBodyBytes,
                        requestTimeout: .seconds(requestTimeout), tls: tls,
                        retentionInterval: retentionInterval == 0 ? nil : .seconds(retentionInterval),
                        checkpointInterval: .seconds(checkpointInterval), indexerPurpose: indexerPurpose,
                        mcpOrigins: mcpOrigins),
                    embedder: noEmbedder ? nil : model.embedder, metrics: metrics, logger: options.logger)
                let scheme = tls == nil ? "http" : "https"
                try await server.run { port in
                    // The listening line comes last: whoever waits for it has the credential too.
                    if let bootstrap {
                        Progress.report(
                            """
                            Bootstrap administrator credential \(bootstrap.credential.id) (shown once; keep it secret):
                              \(bootstrap.token)
                            Try: curl -H 'Authorization: Bearer \(bootstrap.token)' \(scheme)://\(host):\(port)/v1/whoami
                            """)
                    }
                    Progress.report("MemVault is listening on \(scheme)://\(host):\(port)")
                }
            }
        } catch {
            try options.fail(error)
        }
    }

    /// The installation's first administrator credential, made once (and printed once the server listens);
    /// nil if an active one exists.
    private func bootstrapCredential(_ store: MemoryStore) async throws -> IssuedCredential? {
        let operator_ = AccessContext(actor: "cli:bootstrap", role: .administrator)
        let existing = try await store.credentials(installationOnly: true, as: operator_)
        guard !existing.contains(where: { $0.role == .administrator && $0.isValid(at: .now) }) else { return nil }
        return try await store.createCredential(NewCredential(tenant: nil, role: .administrator), as: operator_)
    }
}
