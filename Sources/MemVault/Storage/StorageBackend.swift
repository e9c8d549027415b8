/// Where tenants' sealed records live. SQLite (one file per tenant) is the embedded default; a PostgreSQL backend
/// for deployments beyond one machine implements the same two protocols, and the domain code does not change.
///
/// Tenant creation and deletion are two-phase so that they can be completed after a crash: the store creates or
/// destroys the tenant's keys between `begin…` and `finish…`.
public protocol StorageBackend: Sendable {
    /// Every tenant known to the catalog, with its lifecycle state and policy.
    func tenants() async throws -> [TenantEntry]
    /// Records the tenant as being created, governed by `policy`. Throws `tenantExists` if it is active or being
    /// deleted.
    func beginCreatingTenant(_ tenant: TenantID, policy: String) async throws
    /// Puts the tenant under another policy.
    func setPolicy(_ policy: String, for tenant: TenantID) async throws
    /// Creates the tenant's storage and marks it active.
    func finishCreatingTenant(_ tenant: TenantID) async throws
    /// Marks the tenant as being deleted: from now on it cannot be opened.
    func beginDeletingTenant(_ tenant: TenantID) async throws
    /// Removes every byte of the tenant's storage and its catalog entry.
    func finishDeletingTenant(_ tenant: TenantID) async throws
    /// The tenant-scoped storage of an active tenant; `unknownTenant` otherwise.
    func storage(for tenant: TenantID) async throws -> any TenantStorage
    /// Closes every open database after pending writes; the backend cannot be used afterwards.
    func close() async throws
}

public enum TenantState: String, Sendable, Codable {
    case creating
    case active
    case deleting
}

/// One tenant's storage. Every call is scoped to that tenant: an id from another tenant is simply not found.
public protocol TenantStorage: Sendable {
    var tenant: TenantID { get }

    func insertSubject(_ record: SubjectRecord, audit: AuditDraft) async throws
    func subject(pseudonym: String) async throws -> SubjectRecord?
    func subject(id: SubjectID) async throws -> SubjectRecord?

    func insertCube(_ record: CubeRecord, audit: AuditDraft) async throws
    func cube(_ id: CubeID) async throws -> CubeRecord?
    /// Cubes in id order after `after`; `subject` nil lists all cubes, `.some(nil)` only shared ones.
    func cubes(subject: SubjectID??, after: CubeID?, limit: Int) async throws -> [CubeRecord]
    /// Deletes the cube with all its memories and their history. False if it did not exist.
    func deleteCube(_ id: CubeID, audit: AuditDraft) async throws -> Bool

    /// Inserts new memories (version 1) in one transaction: all or none. If `check` is given, the governance it
    /// names is read inside that same transaction and `check.permit` must not throw, so the policy decision and
    /// the write are atomic: a consent withdrawal or a hold committed first is always seen.
    func insertMemories(_ records: [MemoryRecord], check: GovernanceCheck?, audit: AuditDraft) async throws
    /// The current version.
    func memory(_ id: MemoryID) async throws -> MemoryRecord?
    /// Any version, current or superseded.
    func memory(_ id: MemoryID, version: Int) async throws -> MemoryRecord?
    func memories(
        _ scope: MemoryScope, statuses: Set<MemoryStatus>, after: MemoryID?, limit: Int
    ) async throws -> [MemoryRecord]
    /// Moves the current version to history and stores `record` as current, if the current version is still
    /// `record.supersedes` (optimistic concurrency). False if the memory is gone or was updated meanwhile.
    func replaceMemory(_ record: MemoryRecord, audit: AuditDraft) async throws -> Bool
    /// Changes the status of the current version in place (archive, expire). False if the memory does not exist.
    func setStatus(_ id: MemoryID, _ status: MemoryStatus, updatedAt: StoredTime, audit: AuditDraft) async throws
        -> Bool
    /// Deletes a memory with all its versions. False if it did not exist.
    func deleteMemory(_ id: MemoryID, audit: AuditDraft) async throws -> Bool
    /// Every version, oldest first.
    func history(_ id: MemoryID) async throws -> [MemoryRecord]

    /// Stores a consent change: the subject's current state for the purpose, and the change in its history.
    func recordConsent(_ change: ConsentChangeRecord, audit: AuditDraft) async throws
    /// Every consent change of the subject, oldest first.
    func consentHistory(subject: SubjectID) async throws -> [ConsentChangeRecord]

    func insertHold(_ record: LegalHoldRecord, audit: AuditDraft) async throws
    /// Clears an active hold. False if there is no active hold with that id.
    func clearHold(_ id: String, by actor: String, at time: StoredTime, audit: AuditDraft) async throws -> Bool
    func holds(includeCleared: Bool) async throws -> [LegalHoldRecord]
    /// Appends an entry on its own (reads, searches, denials), through the same group commit as every write.
    /// Returns its sequence number.
    @discardableResult
    func appendAudit(_ draft: AuditDraft) async throws -> UInt64
    /// The number of entries in the log (its last sequence number).
    func auditSize() async throws -> UInt64
    /// Stored entries with sequence above `after`, in order, at most `limit`.
    func auditEntries(after: UInt64, limit: Int) async throws -> [StoredAuditEntry]
    func insertCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    func checkpoints() async throws -> [StoredCheckpoint]

    /// The current version of a memory together with its governance (as `governance`), in one read.
    func memoryWithGovernance(
        _ id: MemoryID, purpose: String
    ) async throws -> (record: MemoryRecord, consent: String?, held: Bool)?
    /// What a policy decision needs from storage, read together: the subject's consent state for `purpose` (nil if
    /// none is recorded or there is no subject) and whether a hold applies to any of `holdTargets`.
    func governance(
        subject: SubjectID?, purpose: String, holdTargets: [HoldTarget]
    ) async throws -> (consent: String?, held: Bool)
}

/// A policy decision to be taken inside a write's transaction.
public struct GovernanceCheck: Sendable {
    public let subject: SubjectID?
    public let purpose: String
    public let holdTargets: [HoldTarget]
    /// Receives the stored consent state (nil if none) and whether a hold applies; returns the decision for the
    /// audit entry, or throws to refuse the write.
    public let permit: @Sendable (_ consent: String?, _ held: Bool) throws -> AuditDecision
}
