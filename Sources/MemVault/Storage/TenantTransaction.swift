public import MemVaultAudit

/// What one unit of work can do with a tenant's records, split by concern. Every call is synchronous and runs
/// inside the unit's transaction.
public typealias TenantTransaction = SubjectRecords & CubeRecords & MemoryRecords & ConsentRecords & HoldRecords
    & GovernedMemoryReader & AuditLogRecords & SearchIndexRecords & VectorRecords & ErasureRequestRecords
    & PublisherRecords

/// What a read-only snapshot of a tenant's records offers.
public typealias TenantReader = SubjectReader & CubeReader & MemoryReader & HoldReader & AuditLogReader
    & SearchIndexReader & VectorReader & ErasureRequestReader & PublisherReader

public protocol SubjectReader {
    func subject(pseudonym: String) throws -> SubjectRecord?
    func subject(id: SubjectID) throws -> SubjectRecord?
}

public protocol SubjectRecords: SubjectReader {
    /// `conflict` if a subject with that id or pseudonym exists.
    func insertSubject(_ record: SubjectRecord) throws
    /// Deletes the subject with its consent records (current states and every change, evidence included); its cubes
    /// must be gone first. Returns how many consent records went, or nil if the subject did not exist.
    func deleteSubject(_ id: SubjectID) throws -> Int?
}

public protocol CubeReader {
    func cube(_ id: CubeID) throws -> CubeRecord?
    /// Cubes in id order after `after`.
    func cubes(_ filter: CubeFilter, after: CubeID?, limit: Int) throws -> [CubeRecord]
}

public protocol CubeRecords: CubeReader {
    /// `notFound` if the owning subject does not exist; `conflict` if the id is taken.
    func insertCube(_ record: CubeRecord) throws
    /// Deletes the cube with all its memories and their history. False if it did not exist.
    func deleteCube(_ id: CubeID) throws -> Bool
}

public protocol MemoryReader {
    /// The memories and content bytes of the tenant's current versions, in constant time.
    func usage() throws -> TenantUsage
    /// The current version, with the highest superseded version the history keeps (a current version must be
    /// above it), read together.
    func memory(_ id: MemoryID) throws -> (current: MemoryRecord, latestSuperseded: Int?)?
    /// One version, current or superseded.
    func memory(_ id: MemoryID, version: Int) throws -> MemoryVersion?
    /// Current versions in id order after `after`, with one of `statuses` (all statuses if nil).
    func memories(
        _ scope: MemoryScope, statuses: Set<MemoryStatus>?, after: MemoryID?, limit: Int
    ) throws -> [MemoryRecord]
    /// Every version, oldest first; empty if the memory does not exist.
    func history(_ id: MemoryID) throws -> [MemoryVersion]
    /// Up to `limit` current versions of the category, across the tenant, oldest first (memory id order), after
    /// `after`: what a retention sweep walks until it meets one still within its retention.
    func memories(inCategory category: String, after: MemoryID?, limit: Int) throws -> [MemoryRecord]
}

public protocol MemoryRecords: MemoryReader {
    /// Inserts new memories; `notFound` if the cube or subject is gone, `conflict` if an id is taken. They count
    /// towards `usage()` from then on, until deleted.
    func insertMemories(_ records: [MemoryRecord]) throws
    /// Moves a new version in: `superseded` (the current version, sealed again for its place in the history)
    /// goes to the history, and `next` becomes current. False if the current version is no longer
    /// `superseded.version` (another update came first) or the memory is gone.
    func replaceCurrent(with next: MemoryRecord, superseded: MemoryRecord) throws -> Bool
    /// Replaces the current version in place (same version: a status change). False if it is no longer current.
    func updateCurrent(_ record: MemoryRecord) throws -> Bool
    /// Deletes a memory with all its versions. False if it did not exist.
    func deleteMemory(_ id: MemoryID) throws -> Bool
    /// Deletes memories with all their versions, in one statement; returns how many existed.
    func deleteMemories(_ ids: [MemoryID]) throws -> Int
}

/// Everything a decision on one memory needs, read in one go: the hottest path (every read of a memory by id).
public protocol GovernedMemoryReader {
    /// The current version with its newest superseded version, the consent of its subject for `purpose`, and the
    /// hold registry with whether any hold exists; nil if the memory does not exist.
    func governedMemory(_ id: MemoryID, purpose: String) throws -> GovernedMemory?
}

public protocol ConsentRecords {
    /// The subject's current consent record for `purpose` and the newest change in its history, read together.
    func consent(subject: SubjectID, purpose: String) throws -> ConsentLookup
    /// Stores a change in the history and makes `current` the subject's state for the purpose.
    func recordConsent(_ change: ConsentChangeRecord, current: ConsentStateRecord) throws
    /// Every change of the subject, oldest first.
    func consentHistory(subject: SubjectID) throws -> [ConsentChangeRecord]
    /// Deletes the subject's consent states and history (evidence included); returns how many records went.
    func deleteConsent(subject: SubjectID) throws -> Int
}

public protocol ErasureRequestReader {
    func erasureRequest(_ id: String) throws -> ErasureRequestRecord?
    /// Requests in id order (the order they were received) after `after`.
    func erasureRequests(after: String?, limit: Int) throws -> [ErasureRequestRecord]
    /// The subject's request still received or in progress, if any.
    func openErasureRequest(subject: SubjectID) throws -> ErasureRequestRecord?
}

public protocol ErasureRequestRecords: ErasureRequestReader {
    /// `conflict` if the id is taken or the subject already has an open request.
    func insertErasureRequest(_ record: ErasureRequestRecord) throws
    /// Replaces a stored request. False if it does not exist.
    func updateErasureRequest(_ record: ErasureRequestRecord) throws -> Bool
}

public protocol PublisherReader {
    /// Every publisher the tenant trusts or once trusted, by key.
    func trustedPublishers() throws -> [TrustedPublisherRecord]
}

public protocol PublisherRecords: PublisherReader {
    /// Inserts or replaces the publisher's record (trusting it, or revoking the trust).
    func saveTrustedPublisher(_ record: TrustedPublisherRecord) throws
}

public protocol HoldReader {
    /// The hold registry, if there is one, and whether any hold or restriction is stored, read together.
    func holdRegistry() throws -> (registry: HoldRegistryRecord?, anyHolds: Bool)
    /// Holds in id order; active ones only unless `includeCleared`.
    func holds(includeCleared: Bool) throws -> [LegalHoldRecord]
    func hold(_ id: String) throws -> LegalHoldRecord?
    /// Restrictions of processing in id order; active ones only unless `includeLifted`.
    func restrictions(includeLifted: Bool) throws -> [RestrictionRecord]
}

public protocol HoldRecords: HoldReader {
    func saveHoldRegistry(_ registry: HoldRegistryRecord) throws
    func insertHold(_ record: LegalHoldRecord) throws
    /// Replaces a stored hold (clearing it). False if it does not exist.
    func updateHold(_ record: LegalHoldRecord) throws -> Bool
    /// Removes a cleared hold (erasure forgets the holds that once applied to the erased subject).
    func deleteHold(_ id: String) throws
    func insertRestriction(_ record: RestrictionRecord) throws
    /// Replaces a stored restriction (lifting it). False if it does not exist.
    func updateRestriction(_ record: RestrictionRecord) throws -> Bool
    func deleteRestriction(_ id: String) throws
}

public protocol AuditLogReader {
    /// The number of entries (the last sequence number).
    func auditSize() throws -> UInt64
    /// Stored entries with sequence above `after`, in order, at most `limit`.
    func auditEntries(after: UInt64, limit: Int) throws -> [StoredAuditEntry]
    /// Signed checkpoints, smallest first.
    func checkpoints() throws -> [StoredCheckpoint]
}

public protocol AuditLogRecords: AuditLogReader {
    /// Chains `entry` onto the log (its sequence is assigned here) and stores it in this transaction; returns the
    /// sequence. The backend builds the link with `AuditChainHead`, from the tail it read in this transaction.
    @discardableResult
    func appendAudit(_ entry: AuditEntry) throws -> UInt64
    func insertCheckpoint(_ checkpoint: StoredCheckpoint) throws
}

/// What a unit of work can do with the catalog.
public typealias CatalogTransaction = TenantEntryRecords & AuditLogRecords & CredentialRecords
public typealias CatalogReader = TenantEntryReader & AuditLogReader & CredentialReader

public protocol CredentialReader {
    func credential(_ id: String) throws -> CredentialRecord?
    /// Credentials in id order: of one tenant, of the installation (`installationOnly`), or all.
    func credentials(tenant: TenantID?, installationOnly: Bool) throws -> [CredentialRecord]
}

public protocol CredentialRecords: CredentialReader {
    /// `conflict` if the id is taken.
    func insertCredential(_ record: CredentialRecord) throws
    /// Replaces a stored credential (revoking it). False if it does not exist.
    func updateCredential(_ record: CredentialRecord) throws -> Bool
}

public protocol TenantEntryReader {
    /// Every tenant the catalog lists, by id.
    func tenantEntries() throws -> [TenantEntryRecord]
    func tenantEntry(_ tenant: TenantID) throws -> TenantEntryRecord?
}

public protocol TenantEntryRecords: TenantEntryReader {
    /// Inserts or replaces the tenant's entry.
    func saveTenantEntry(_ entry: TenantEntryRecord) throws
    func deleteTenantEntry(_ tenant: TenantID) throws
}
