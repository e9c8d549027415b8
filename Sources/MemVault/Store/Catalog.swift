import Foundation
import Logging
import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// The installation's catalog as the domain sees it: tenant entries, each verified against its seal before it is
/// obeyed, and the installation's own audit log of tenant lifecycle, policy and key events (a tenant's own log
/// dies with the tenant; this one does not).
final class Catalog: Sendable {
    let storage: any CatalogStorage
    let keys: KeyHierarchy
    let logger: Logger
    let now: @Sendable () -> Date

    init(storage: any CatalogStorage, keys: KeyHierarchy, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.storage = storage
        self.keys = keys
        self.logger = logger
        self.now = now
    }

    // MARK: - Tenant entries

    /// Every entry, verified. One that fails its seal fails the call: a catalog edited outside MemVault is not
    /// obeyed (not even to finish a deletion it claims is pending).
    func entries() async throws -> [TenantEntryRecord] {
        try await storage.read { [self] reader in try reader.tenantEntries().map { try verified($0) } }
    }

    /// The tenant's entry, verified; `unknownTenant` if the catalog does not list it.
    func entry(of tenant: TenantID) async throws -> TenantEntryRecord {
        guard let entry = try await storage.read({ [self] in try $0.tenantEntry(tenant).map { try verified($0) } })
        else { throw unknown(tenant) }
        return entry
    }

    func verified(_ entry: TenantEntryRecord) throws -> TenantEntryRecord {
        try keys.installationIntegrity.verify(
            entry.seal, Bindings.tenantEntry(installation: keys.installationID, entry),
            "the catalog entry of tenant '\(entry.tenant)'")
        return entry
    }

    /// `entry` with its fields changed as given, sealed again.
    func sealed(
        _ tenant: TenantID, state: TenantState, policy: String, createdAt: StoredTime, hasHolds: Bool,
        checkpoint: String?, quotas: TenantQuotas = .unlimited
    ) throws -> TenantEntryRecord {
        let unsealed = TenantEntryRecord(
            tenant: tenant, state: state, policy: policy, createdAt: createdAt, hasHolds: hasHolds,
            checkpoint: checkpoint, quotas: quotas, seal: [])
        return TenantEntryRecord(
            tenant: tenant, state: state, policy: policy, createdAt: createdAt, hasHolds: hasHolds,
            checkpoint: checkpoint, quotas: quotas,
            seal: try keys.installationIntegrity.seal(Bindings.tenantEntry(installation: keys.installationID, unsealed))
        )
    }

    func resealed(
        _ entry: TenantEntryRecord, state: TenantState? = nil, policy: String? = nil, hasHolds: Bool? = nil,
        checkpoint: String?? = nil, quotas: TenantQuotas? = nil
    ) throws -> TenantEntryRecord {
        try sealed(
            entry.tenant, state: state ?? entry.state, policy: policy ?? entry.policy, createdAt: entry.createdAt,
            hasHolds: hasHolds ?? entry.hasHolds, checkpoint: checkpoint ?? entry.checkpoint,
            quotas: quotas ?? entry.quotas)
    }

    /// Marks the tenant as having had a legal hold, before its first one is stored: from then on its database must
    /// hold a hold registry, and a deleted registry is caught.
    func noteHolds(of tenant: TenantID, resources: TenantResources) async throws {
        guard !resources.entry.withLock({ $0.hasHolds }) else { return }
        let updated = try await storage.unitOfWork { [self] transaction in
            guard let stored = try transaction.tenantEntry(tenant) else { throw unknown(tenant) }
            let entry = try verified(stored)
            guard !entry.hasHolds else { return entry }
            let updated = try resealed(entry, hasHolds: true)
            try transaction.saveTenantEntry(updated)
            return updated
        }
        resources.entry.withLock { $0 = updated }
    }

    /// Keeps the tenant's latest checkpoint in the catalog too (never an older one over a newer).
    func saveCheckpoint(_ checkpoint: StoredCheckpoint, of tenant: TenantID) async throws {
        let origin = AuditOrigins.tenant(tenant)
        let verifier = try CheckpointVerifier(keyName: origin, publicKey: keys.auditSigningKey(tenant).publicKey)
        try await storage.unitOfWork { [self] transaction in
            guard let stored = try transaction.tenantEntry(tenant) else { throw unknown(tenant) }
            let entry = try verified(stored)
            if let existing = entry.checkpoint, let held = try? Checkpoint.open(existing, verifier: verifier),
                held.size >= checkpoint.size
            {
                return
            }
            try transaction.saveTenantEntry(try resealed(entry, checkpoint: .some(checkpoint.note)))
        }
    }

    func unknown(_ tenant: TenantID) -> MemVaultError { .unknown(tenant) }

    // MARK: - The installation's audit log

    /// Runs an installation operation for `context`: admitted by role, decided, done and recorded in one unit of
    /// work on the catalog. A role that may not perform it is recorded as a denial.
    func perform<T: Sendable>(
        _ operation: StoreOperation, context: AccessContext,
        _ body: @escaping @Sendable (CatalogWork) throws -> T
    ) async throws -> T {
        let decision = try await admit(operation, context: context)
        let result = try await storage.unitOfWork { [self] transaction in
            let work = CatalogWork(transaction: transaction)
            let result = try body(work)
            try transaction.appendAudit(
                entry(operation, context: context, decision: decision, returned: work.returned, detail: work.detail))
            return result
        }
        logger.debug("performed an installation operation", metadata: ["operation": "\(operation.rawValue)"])
        return result
    }

    /// Checks the actor and role of an installation operation; records and throws a denial.
    func admit(_ operation: StoreOperation, context: AccessContext) async throws -> AuditDecision {
        let authorizer = Authorizer(context: context)
        _ = try authorizer.admit(operation, policy: nil)
        do {
            try keys.refresh()
            return try authorizer.roleDecision(operation) ?? .roleDenied
        } catch let denial as Denial {
            logger.info(
                "denied an installation operation to the role",
                metadata: ["operation": "\(operation.rawValue)", "role": "\(context.role.rawValue)"])
            try await record(operation, context: context, decision: denial.decision, detail: nil)
            throw MemVaultError(.denied, denial.message)
        }
    }

    /// Appends one entry on its own.
    func record(
        _ operation: StoreOperation, context: AccessContext, decision: AuditDecision, returned: UInt64 = 0,
        detail: String?
    ) async throws {
        let entry = entry(operation, context: context, decision: decision, returned: returned, detail: detail)
        _ = try await storage.unitOfWork { try $0.appendAudit(entry) }
    }

    private func entry(
        _ operation: StoreOperation, context: AccessContext, decision: AuditDecision, returned: UInt64, detail: String?
    ) -> AuditEntry {
        AuditEntry(
            sequence: 0, time: StoredTime(now: now()), actor: context.actor, role: context.role.rawValue,
            action: operation.auditAction, purpose: "", effect: decision.effect, ruleIDs: decision.ruleIDs,
            policyRevision: decision.policyRevision, returned: returned, detail: detail)
    }

    func storedLog() async throws -> StoredAuditLog {
        let (entries, checkpoints) = try await storage.read { try StoredAuditLog.read($0) }
        return StoredAuditLog(
            origin: AuditOrigins.installation, verifier: try verifier, entries: entries, checkpoints: checkpoints)
    }

    var verifier: CheckpointVerifier {
        get throws {
            try CheckpointVerifier(keyName: AuditOrigins.installation, publicKey: keys.installationSigningKey.publicKey)
        }
    }

    /// Signs and stores a checkpoint of the installation's log (after an entry recording the signing).
    func signCheckpoint(context: AccessContext) async throws -> String {
        let decision = try await admit(.signAuditCheckpoint, context: context)
        try await record(.signAuditCheckpoint, context: context, decision: decision, detail: "checkpoint")
        let checkpoint = try await storedLog().signedCheckpoint(by: keys.installationSigningKey, at: now())
        _ = try await storage.unitOfWork { try $0.insertCheckpoint(checkpoint) }
        return checkpoint.note
    }
}

/// One installation operation's unit of work on the catalog, and what its audit entry adds.
final class CatalogWork {
    let transaction: any CatalogTransaction
    var returned: UInt64 = 0
    var detail: String?

    init(transaction: any CatalogTransaction) {
        self.transaction = transaction
    }
}
