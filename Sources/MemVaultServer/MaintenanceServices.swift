import Logging
import MemVault
import MemVaultPolicy
import ServiceLifecycle

/// What a long-running server does on its own, each as a service of the application's service group: retention
/// sweeps, periodic audit checkpoints and the indexer. Each pass covers every active tenant; a tenant's failure is
/// logged (its id and error code, never content) and the others go on. Graceful shutdown stops them between passes.
struct PeriodicService: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let pass: @Sendable () async -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: interval)
                    await pass()
                }
            }
        } catch is CancellationError {
            logger.debug("stopped", metadata: ["service": "\(name)"])
        }
    }
}

/// The passes themselves, over the store's active tenants.
struct Maintenance: Sendable {
    let store: MemoryStore
    let embedder: (any Embedder)?
    let indexerPurpose: String
    let logger: Logger

    /// The actors MemVault records in the audit log for its own work.
    static let retention = AccessContext(actor: "memvault:retention", role: .administrator)
    static let checkpoints = AccessContext(actor: "memvault:checkpoints", role: .auditor)

    func sweepRetention() async {
        await eachTenant("retention sweep") { tenant in
            let sweep = try await store.tenant(tenant, as: Self.retention).sweepRetention()
            if sweep.purged > 0 {
                logger.info("retention sweep", metadata: ["tenant": "\(tenant)", "purged": "\(sweep.purged)"])
            }
        }
    }

    func signDueCheckpoints() async {
        await eachTenant("checkpoint") { tenant in
            _ = try await store.tenant(tenant, as: Self.checkpoints)
                .signAuditCheckpointIfDue(interval: store.auditCheckpointInterval)
        }
    }

    func index() async {
        guard let embedder else { return }
        let context = AccessContext(actor: "memvault:indexer", role: .application, purpose: indexerPurpose)
        await eachTenant("indexing") { tenant in
            let sweeps = try await BackgroundIndexer(
                store: try await store.tenant(tenant, as: context), embedder: embedder
            )
            .sweep()
            let embedded = sweeps.reduce(0) { $0 + $1.embedded }
            if embedded > 0 { logger.debug("indexed", metadata: ["tenant": "\(tenant)", "embedded": "\(embedded)"]) }
        }
    }

    private func eachTenant(_ what: String, _ body: (TenantID) async throws -> Void) async {
        let tenants: [TenantID]
        do {
            tenants = try await store.activeTenants()
        } catch {
            logger.error("\(what): the catalog does not answer", metadata: ["error": "\(Self.code(error))"])
            return
        }
        for tenant in tenants {
            guard !Task.isCancelled else { return }
            do {
                try await body(tenant)
            } catch {
                logger.warning("\(what) failed", metadata: ["tenant": "\(tenant)", "error": "\(Self.code(error))"])
            }
        }
    }

    /// An error's stable code: messages stay out of logs that may leave the machine.
    private static func code(_ error: any Error) -> String {
        (error as? MemVaultError)?.code.name ?? String(describing: type(of: error))
    }
}
