import MemVaultPolicy
import Synchronization

/// MemVault's memory store: tenants, and for each a `TenantStore` over its storage and keys.
public final class MemoryStore: Sendable {
    public let installation: Installation
    public let limits: StoreLimits
    public let policies: PolicyRegistry
    /// A store that closes signs a checkpoint for every tenant it opened whose audit log grew by at least this many
    /// entries since its last checkpoint.
    public var auditCheckpointInterval: UInt64 { auditCheckpointIntervalValue }
    private let auditCheckpointIntervalValue: UInt64
    private let backend: any StorageBackend
    private let tenantResources = Mutex([TenantID: TenantResources]())

    private init(
        installation: Installation, backend: any StorageBackend, limits: StoreLimits, policies: PolicyRegistry,
        auditCheckpointInterval: UInt64
    ) {
        self.installation = installation
        self.backend = backend
        self.limits = limits
        self.policies = policies
        auditCheckpointIntervalValue = auditCheckpointInterval
    }

    /// Opens the store over `installation` (the embedded SQLite backend unless another is given), completes any
    /// tenant deletion a crash interrupted, and loads every active tenant's policy from `policies`: if one does
    /// not validate, the store refuses to start.
    public static func open(
        _ installation: Installation, policies: PolicyRegistry, backend: (any StorageBackend)? = nil,
        limits: StoreLimits = StoreLimits(), sqlite: SQLiteConfiguration = SQLiteConfiguration(),
        auditCheckpointInterval: UInt64 = 1_000
    ) async throws -> MemoryStore {
        let store = MemoryStore(
            installation: installation,
            backend: try backend ?? SQLiteBackend(folder: installation.folder, configuration: sqlite), limits: limits,
            policies: policies, auditCheckpointInterval: auditCheckpointInterval)
        let entries = try await store.backend.tenants()
        for entry in entries where entry.state == .deleting {
            try await store.finishDeleting(entry.tenant)
        }
        for entry in entries where entry.state == .active {
            _ = try policies.engine(entry.policy)
        }
        return store
    }

    private var keys: KeyHierarchy { installation.keys }

    /// Creates a tenant governed by the policy `policy` (a file in the policies folder): its keys (tenant key,
    /// shared data key, pseudonym key) and its database.
    public func createTenant(_ tenant: TenantID, policy: String = "default") async throws {
        _ = try policies.engine(policy)
        try await backend.beginCreatingTenant(tenant, policy: policy)
        // Keys left by an interrupted creation (or made before the catalog existed) never protected stored data,
        // since the tenant's database only becomes usable once creation finishes: they are kept and used.
        if try !keys.tenants().contains(tenant) {
            try keys.createTenant(tenant)
        }
        try await backend.finishCreatingTenant(tenant)
    }

    /// Active tenants, by id.
    public func tenants() async throws -> [TenantID] {
        try await backend.tenants().filter { $0.state == .active }.map(\.tenant)
    }

    /// Active tenants with the policy each is governed by.
    public func tenantPolicies() async throws -> [(tenant: TenantID, policy: String)] {
        try await backend.tenants().filter { $0.state == .active }.map { ($0.tenant, $0.policy) }
    }

    /// Puts a tenant under another policy, which must validate first.
    public func setPolicy(_ policy: String, for tenant: TenantID) async throws {
        _ = try policies.engine(policy)
        try await backend.setPolicy(policy, for: tenant)
        _ = tenantResources.withLock { $0.removeValue(forKey: tenant) }
    }

    /// Deletes a tenant: its keys are destroyed first (every copy of its data becomes unreadable), then its
    /// database files are removed.
    public func deleteTenant(_ tenant: TenantID) async throws {
        try await backend.beginDeletingTenant(tenant)
        _ = tenantResources.withLock { $0.removeValue(forKey: tenant) }
        try await finishDeleting(tenant)
    }

    /// The store of one tenant for one access context. The tenant and the context's actor and role must come
    /// from an authenticated credential, never from request data.
    public func tenant(_ tenant: TenantID, as context: AccessContext) async throws -> TenantStore {
        TenantStore(resources: try await resources(tenant), context: context)
    }

    private func resources(_ tenant: TenantID) async throws -> TenantResources {
        if let resources = tenantResources.withLock({ $0[tenant] }) { return resources }
        guard let entry = try await backend.tenants().first(where: { $0.tenant == tenant && $0.state == .active })
        else {
            throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)': create it with `memvault tenant create`")
        }
        let resources = try TenantResources(
            storage: try await backend.storage(for: tenant), keys: keys, limits: limits, policies: policies,
            policyName: entry.policy)
        return tenantResources.withLock { cache in
            if let existing = cache[tenant] { return existing }
            cache[tenant] = resources
            return resources
        }
    }

    /// Signs due checkpoints (see `auditCheckpointInterval`), then closes every database; pending writes complete
    /// first. The store cannot be used afterwards. If a checkpoint cannot be signed the databases are still closed
    /// and the error is reported.
    public func close() async throws {
        let opened = tenantResources.withLock { cache in
            defer { cache.removeAll() }
            return Array(cache.values)
        }
        var failure: (any Error)?
        for resources in opened {
            do {
                try await TenantStore(resources: resources, context: Self.systemContext)
                    .signAuditCheckpointIfDue(interval: auditCheckpointIntervalValue)
            } catch {
                failure = failure ?? error
            }
        }
        try await backend.close()
        if let failure { throw failure }
    }

    /// MemVault itself, when it signs periodic checkpoints.
    static let systemContext = AccessContext(actor: "memvault:system", role: .auditor, purpose: "audit")

    private func finishDeleting(_ tenant: TenantID) async throws {
        do {
            try keys.destroyTenant(tenant)
        } catch let error as MemVaultError where error.code == .unknownTenant {
            // Already destroyed before an interruption.
        }
        try await backend.finishDeletingTenant(tenant)
    }
}
