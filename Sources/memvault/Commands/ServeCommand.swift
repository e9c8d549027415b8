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

    func validate() throws {
        guard maximumBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
    }

    func run() async throws {
        do {
            // Bootstrapped before the store opens, so that the store's counters report to it.
            let metrics = MetricsExposition.process
            try await options.withStore { store in
                let bootstrap = try await bootstrapCredential(store)
                let server = MemVaultServer(
                    store: store,
                    configuration: .init(
                        host: host, port: port, maximumBodyBytes: maximumBodyBytes,
                        requestTimeout: .seconds(requestTimeout)),
                    metrics: metrics, logger: options.logger)
                try await server.run { port in
                    Progress.report("MemVault is listening on http://\(host):\(port)")
                    if let bootstrap {
                        Progress.report(
                            """
                            Bootstrap administrator credential \(bootstrap.credential.id) (shown once; keep it secret):
                              \(bootstrap.token)
                            Try: curl -H 'Authorization: Bearer \(bootstrap.token)' http://\(host):\(port)/v1/whoami
                            """)
                    }
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
