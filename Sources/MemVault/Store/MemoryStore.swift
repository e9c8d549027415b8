import Synchronization

/// MemVault's memory store: tenants, and for each a `TenantStore` over its storage and keys.
public final class MemoryStore: Sendable {
    public let installation: Installation
    public let limits: StoreLimits
    private let backend: any StorageBackend
    private let tenantStores = Mutex([TenantID: TenantStore]())

    private init(installation: Installation, backend: any StorageBackend, limits: StoreLimits) {
        self.installation = installation
        self.backend = backend
        self.limits = limits
    }

    /// Opens the store over `installation` (the embedded SQLite backend unless another is given) and completes
    /// any tenant deletion a crash interrupted.
    public static func open(
        _ installation: Installation, backend: (any StorageBackend)? = nil, limits: StoreLimits = StoreLimits(),
        sqlite: SQLiteConfiguration = SQLiteConfiguration()
    ) async throws -> MemoryStore {
        let store = MemoryStore(
            installation: installation,
            backend: try backend ?? SQLiteBackend(folder: installation.folder, configuration: sqlite), limits: limits)
        for (tenant, state) in try await store.backend.tenants() where state == .deleting {
            try await store.finishDeleting(tenant)
        }
        return store
    }

    private var keys: KeyHierarchy { installation.keys }

    /// Creates a tenant: its keys (tenant key, shared data key, pseudonym key) and its database.
    public func createTenant(_ tenant: TenantID) async throws {
        try await backend.beginCreatingTenant(tenant)
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

    /// Deletes a tenant: its keys are destroyed first (every copy of its data becomes unreadable), then its
    /// database files are removed.
    public func deleteTenant(_ tenant: TenantID) async throws {
        try await backend.beginDeletingTenant(tenant)
        _ = tenantStores.withLock { $0.removeValue(forKey: tenant) }
        try await finishDeleting(tenant)
    }

    /// The store of one tenant. The tenant must come from an authenticated credential, never from request data.
    public func tenant(_ tenant: TenantID) async throws -> TenantStore {
        if let store = tenantStores.withLock({ $0[tenant] }) { return store }
        let store = try TenantStore(storage: try await backend.storage(for: tenant), keys: keys, limits: limits)
        return tenantStores.withLock { stores in
            if let existing = stores[tenant] { return existing }
            stores[tenant] = store
            return store
        }
    }

    /// Closes every database; pending writes complete first. The store cannot be used afterwards.
    public func close() async throws {
        tenantStores.withLock { $0.removeAll() }
        try await backend.close()
    }

    private func finishDeleting(_ tenant: TenantID) async throws {
        do {
            try keys.destroyTenant(tenant)
        } catch let error as MemVaultError where error.code == .unknownTenant {
            // Already destroyed before an interruption.
        }
        try await backend.finishDeletingTenant(tenant)
    }
}
