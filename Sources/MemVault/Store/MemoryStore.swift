public import Foundation
public import Logging
public import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// MemVault's memory store: the installation's tenants, and for each a `TenantStore` over its storage and keys.
///
/// Installation operations (tenant create, delete, set-policy, list) take the access context of the credential
/// asking, are confined to roles (`StoreOperation`) and are recorded in the installation's audit log.
public final class MemoryStore: Sendable {
    public let keys: KeyHierarchy
    public let limits: StoreLimits
    public let policies: PolicyRegistry
    /// A store that closes signs a checkpoint for every log it wrote to that grew by at least this many entries
    /// since its last checkpoint.
    public let auditCheckpointInterval: UInt64
    let backend: any StorageBackend
    let catalog: Catalog
    let logger: Logger
    let now: @Sendable () -> Date
    private let tenantResources = Mutex([TenantID: TenantResources]())

    private init(
        keys: KeyHierarchy, backend: any StorageBackend, limits: StoreLimits, policies: PolicyRegistry,
        auditCheckpointInterval: UInt64, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.keys = keys
        self.backend = backend
        self.limits = limits
        self.policies = policies
        self.auditCheckpointInterval = auditCheckpointInterval
        self.logger = logger
        self.now = now
        catalog = Catalog(storage: backend.catalog, keys: keys, logger: logger, now: now)
    }

    /// Opens the store over `backend` with `keys`, completes any tenant deletion a crash interrupted, and loads every
    /// active tenant's policy from `policies`: if one does not validate, or the catalog fails its integrity check,
    /// the store refuses to start.
    ///
    /// - Parameters:
    ///   - logger: where the store logs (ids, counts and codes only; never content, keys or subject ids).
    ///   - now: the store's clock.
    public static func open(
        keys: KeyHierarchy, backend: any StorageBackend, policies: PolicyRegistry, limits: StoreLimits = StoreLimits(),
        auditCheckpointInterval: UInt64 = 1_000,
        logger: Logger = Logger(label: "memvault", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> MemoryStore {
        let store = MemoryStore(
            keys: keys, backend: backend, limits: limits, policies: policies,
            auditCheckpointInterval: auditCheckpointInterval, logger: logger, now: now)
        let entries = try await store.catalog.entries()
        for entry in entries where entry.state == .deleting {
            store.logger.notice(
                "completing a tenant deletion a crash interrupted", metadata: ["tenant": "\(entry.tenant)"])
            try await store.finishDeleting(entry.tenant)
        }
        for entry in entries where entry.state == .active {
            _ = try policies.engine(entry.policy)
        }
        return store
    }

    // MARK: - Tenants

    /// Creates a tenant governed by the policy `policy` (a file in the policies folder): its keys (tenant key,
    /// shared data key, pseudonym and integrity keys) and its storage. Administrators only.
    public func createTenant(_ tenant: TenantID, policy: String = "default", as context: AccessContext) async throws {
        let decision = try await catalog.admit(.createTenant, context: context)
        _ = try policies.engine(policy)
        let previous = try await catalog.storage.unitOfWork { [self] transaction -> TenantState? in
            let existing = try transaction.tenantEntry(tenant).map { try catalog.verified($0) }
            if let existing, existing.state != .creating {
                throw MemVaultError(
                    .tenantExists,
                    existing.state == .active
                        ? "tenant '\(tenant)' already exists" : "tenant '\(tenant)' is being deleted")
            }
            if existing == nil, try backend.hasTenantStorage(tenant) {
                // Never overwrite data the catalog does not know about.
                throw MemVaultError(
                    .conflict,
                    "storage for tenant '\(tenant)' exists but the catalog does not list it: restore the catalog, "
                        + "or move the tenant's files away")
            }
            try transaction.saveTenantEntry(
                try catalog.sealed(
                    tenant, state: .creating, policy: policy, createdAt: StoredTime(now: now()), hasHolds: false,
                    checkpoint: nil))
            return existing?.state
        }
        // The leftovers of a creation this catalog recorded but never finished hold no acknowledged data.
        if previous == .creating { try await backend.removeTenantStorage(tenant) }
        // Keys left by an interrupted creation never protected stored data: they are kept and used.
        if try !keys.tenants().contains(tenant) {
            try keys.createTenant(tenant)
        }
        try await backend.createTenantStorage(tenant)
        try await catalog.storage.unitOfWork { [self] transaction in
            guard let stored = try transaction.tenantEntry(tenant) else { throw catalog.unknown(tenant) }
            try transaction.saveTenantEntry(try catalog.resealed(try catalog.verified(stored), state: .active))
            try transaction.appendAudit(
                AuditEntry(
                    sequence: 0, time: StoredTime(now: now()), actor: context.actor, role: context.role.rawValue,
                    action: .tenant, purpose: "", effect: decision.effect, ruleIDs: decision.ruleIDs,
                    detail: "tenant \(tenant): created under policy \(policy)"))
        }
        logger.info("created a tenant", metadata: ["tenant": "\(tenant)", "policy": "\(policy)"])
    }

    /// Active tenants with the policy each is governed by and its quotas.
    public func tenants(as context: AccessContext) async throws -> [TenantSummary] {
        try await catalog.perform(.listTenants, context: context) { work in
            let entries = try work.transaction.tenantEntries().map { try self.catalog.verified($0) }
                .filter { $0.state == .active }
            work.returned = UInt64(entries.count)
            return entries.map { TenantSummary(id: $0.tenant, policy: $0.policy, quotas: $0.quotas) }
        }
    }

    /// Puts a tenant under another policy, which must validate first. Administrators only.
    public func setPolicy(_ policy: String, for tenant: TenantID, as context: AccessContext) async throws {
        _ = try await catalog.admit(.setTenantPolicy, context: context)
        _ = try policies.engine(policy)
        try await catalog.perform(.setTenantPolicy, context: context) { [self] work in
            guard let stored = try work.transaction.tenantEntry(tenant), stored.state == .active else {
                throw catalog.unknown(tenant)
            }
            try work.transaction.saveTenantEntry(try catalog.resealed(try catalog.verified(stored), policy: policy))
            work.detail = "tenant \(tenant): policy \(policy)"
        }
        _ = tenantResources.withLock { $0.removeValue(forKey: tenant) }
    }

    /// Sets a tenant's quotas (`.unlimited` lifts them). Administrators only. Takes effect at once in this process
    /// (other processes read it when they next open the tenant).
    @discardableResult
    public func setQuotas(
        _ quotas: TenantQuotas, for tenant: TenantID, as context: AccessContext
    ) async throws -> TenantSummary {
        let quotas = try quotas.validated()
        let updated = try await catalog.perform(.setTenantQuotas, context: context) { [self] work in
            guard let stored = try work.transaction.tenantEntry(tenant), stored.state == .active else {
                throw catalog.unknown(tenant)
            }
            let updated = try catalog.resealed(try catalog.verified(stored), quotas: quotas)
            try work.transaction.saveTenantEntry(updated)
            work.detail = "tenant \(tenant): quotas \(quotas.canonical)"
            return updated
        }
        tenantResources.withLock { cache in
            cache[tenant]?.entry.withLock { $0 = updated }
        }
        return TenantSummary(id: tenant, policy: updated.policy, quotas: updated.quotas)
    }

    /// Deletes a tenant: recorded, then its keys are destroyed (every copy of its data becomes unreadable), then its
    /// storage is removed. Administrators only. A crash in between is completed the next time the store opens.
    public func deleteTenant(_ tenant: TenantID, as context: AccessContext) async throws {
        try await catalog.perform(.deleteTenant, context: context) { [self] work in
            guard let stored = try work.transaction.tenantEntry(tenant) else { throw catalog.unknown(tenant) }
            try work.transaction.saveTenantEntry(try catalog.resealed(try catalog.verified(stored), state: .deleting))
            work.detail = "tenant \(tenant): deleted"
        }
        _ = tenantResources.withLock { $0.removeValue(forKey: tenant) }
        try await finishDeleting(tenant)
        logger.info("deleted a tenant", metadata: ["tenant": "\(tenant)"])
    }

    private func finishDeleting(_ tenant: TenantID) async throws {
        do {
            try keys.destroyTenant(tenant)
        } catch let error as MemVaultError where error.code == .unknownTenant {
            // Already destroyed before an interruption.
        }
        try await backend.removeTenantStorage(tenant)
        try await catalog.storage.unitOfWork { try $0.deleteTenantEntry(tenant) }
    }

    /// The key hierarchy's status: versions and counts, never key bytes. Recorded in the installation log.
    public func keyStatus(_ tenant: TenantID? = nil, as context: AccessContext) async throws -> [TenantKeyStatus] {
        let decision = try await catalog.admit(.readKeyStatus, context: context)
        let status = try keys.status(tenant)
        try await catalog.record(
            .readKeyStatus, context: context, decision: decision, returned: UInt64(status.count),
            detail: tenant.map { "tenant \($0)" })
        return status
    }

    /// The store of one tenant for one access context. The tenant and the context's actor and role must come
    /// from an authenticated credential, never from request data.
    public func tenant(_ tenant: TenantID, as context: AccessContext) async throws -> TenantStore {
        TenantStore(resources: try await resources(tenant), context: context)
    }

    /// The installation's own audit log, for `context`.
    public func installationAudit(as context: AccessContext) -> InstallationAudit {
        InstallationAudit(catalog: catalog, context: context)
    }

    private func resources(_ tenant: TenantID) async throws -> TenantResources {
        if let resources = tenantResources.withLock({ $0[tenant] }) { return resources }
        let entry = try await catalog.entry(of: tenant)
        guard entry.state == .active else { throw catalog.unknown(tenant) }
        let storage = try await backend.tenantStorage(tenant)
        let resources = try TenantResources(
            entry: entry, storage: storage, keys: keys, limits: limits, policies: policies, catalog: catalog,
            logger: logger, now: now)
        // A hold whose catalog note a crash prevented: record it now, so the registry is required from here on.
        if !entry.hasHolds, try await storage.read({ try $0.holdRegistry().registry }) != nil {
            try await catalog.noteHolds(of: tenant, resources: resources)
        }
        return tenantResources.withLock { cache in
            if let existing = cache[tenant] { return existing }
            cache[tenant] = resources
            return resources
        }
    }

    /// The active tenants, for MemVault's own maintenance (retention sweeps, checkpoints, the indexer) and readiness
    /// probes. Not audited: it reads no tenant's data and no credential; what the maintenance then does is.
    public func activeTenants() async throws -> [TenantID] {
        let entries = try await catalog.storage.read { try $0.tenantEntries() }
        return try entries.map { try catalog.verified($0) }.filter { $0.state == .active }.map(\.tenant)
    }

    /// Signs due checkpoints (see `auditCheckpointInterval`), reports the encryptions this process did, then
    /// closes every database cleanly; pending writes complete first. The store cannot be used afterwards. If a
    /// checkpoint cannot be signed the databases are still closed and the error is reported.
    public func close() async throws {
        let opened = tenantResources.withLock { cache in
            defer { cache.removeAll() }
            return Array(cache.values)
        }
        var failure: (any Error)?
        for resources in opened {
            do {
                try await TenantStore(resources: resources, context: Self.systemContext)
                    .signAuditCheckpointIfDue(interval: auditCheckpointInterval)
            } catch {
                failure = failure ?? error
            }
        }
        do {
            let size = try await catalog.storage.read { (try $0.auditSize(), try $0.checkpoints().last?.size ?? 0) }
            if size.0 >= size.1 + auditCheckpointInterval {
                _ = try await catalog.signCheckpoint(context: Self.systemContext)
            }
        } catch {
            failure = failure ?? error
        }
        do { try keys.flushBudget() } catch { failure = failure ?? error }
        try await backend.close()
        if let failure { throw failure }
    }

    /// MemVault itself, when it signs periodic checkpoints.
    static let systemContext = AccessContext(actor: "memvault:system", role: .auditor)
}

/// The installation's audit log (tenant lifecycle, policies, key events), for auditors: the same checks as a
/// tenant's log, each recorded in the log it reads.
public struct InstallationAudit: Sendable {
    let catalog: Catalog
    let context: AccessContext

    public var origin: String { AuditOrigins.installation }

    public func verifierKey() async throws -> CheckpointVerifier {
        let decision = try await catalog.admit(.readVerifierKey, context: context)
        let verifier = try catalog.verifier
        try await catalog.record(
            .readVerifierKey, context: context, decision: decision, returned: 1, detail: "verifier key")
        return verifier
    }

    public func verify(checkpoints given: [String] = []) async throws -> AuditVerification {
        let decision = try await catalog.admit(.verifyAuditLog, context: context)
        let verification = try await catalog.storedLog().verification(given.map { ("given", $0) })
        try await catalog.record(
            .verifyAuditLog, context: context, decision: decision, returned: verification.entries,
            detail: verification.isValid ? "verified" : "verification failed")
        return verification
    }

    public func signCheckpoint() async throws -> String {
        try await catalog.signCheckpoint(context: context)
    }

    public func entries(_ filter: AuditFilter = AuditFilter()) async throws -> [AuditEntry] {
        let decision = try await catalog.admit(.readAuditLog, context: context)
        let entries = try await catalog.storedLog().entries(matching: filter, pseudonym: nil)
        try await catalog.record(
            .readAuditLog, context: context, decision: decision, returned: UInt64(entries.count), detail: nil)
        return entries
    }

    public func inclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        let decision = try await catalog.admit(.proveAuditLog, context: context)
        let proof = try await catalog.storedLog().inclusionProof(sequence: sequence)
        try await catalog.record(
            .proveAuditLog, context: context, decision: decision, returned: 1, detail: "inclusion proof")
        return proof
    }

    public func consistencyProof(from note: String) async throws -> AuditConsistencyProof {
        let decision = try await catalog.admit(.proveAuditLog, context: context)
        let proof = try await catalog.storedLog().consistencyProof(from: note)
        try await catalog.record(
            .proveAuditLog, context: context, decision: decision, returned: 1, detail: "consistency proof")
        return proof
    }
}
