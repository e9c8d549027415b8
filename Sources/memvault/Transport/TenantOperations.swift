import MemVault
import MemVaultAudit
import MemVaultPolicy

/// What the command line asks of one tenant, answered the same way by a local store (`TenantStore`, with the
/// master key) and by a running server (`RemoteTenant`, with a credential): one code path per command, two
/// transports. The requirements are `TenantStore`'s own signatures.
protocol TenantOperations: Sendable {
    // MARK: Subjects, cubes and memories
    func resolveSubject(externalID: String, create: Bool) async throws -> Subject
    func createCube(_ new: NewCube) async throws -> MemCube
    func cube(_ id: CubeID) async throws -> MemCube
    func cubes(owner: CubeOwner?, after cursor: String?, limit: Int) async throws -> Page<MemCube>
    func deleteCube(_ id: CubeID) async throws
    func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory]
    func memory(_ id: MemoryID, version: Int?) async throws -> Memory
    func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus>, after cursor: String?, limit: Int
    ) async throws -> Page<Memory>
    func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory
    func archiveMemory(_ id: MemoryID) async throws -> Memory
    func deleteMemory(_ id: MemoryID) async throws
    func history(_ id: MemoryID) async throws -> [Memory]
    func search(_ query: SearchQuery, embedder: (any Embedder)?) async throws -> SearchResults

    // MARK: Consent, holds and restrictions
    @discardableResult
    func setConsent(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String?
    ) async throws -> ConsentRecord
    func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord]
    func setHold(on target: HoldTarget, reason: String) async throws -> LegalHold
    func clearHold(_ id: String) async throws -> LegalHold
    func holds(includeCleared: Bool) async throws -> [LegalHold]
    func restrictProcessing(
        of subject: SubjectID, categories: [String]?, purposes: [String], ground: Restriction.Ground
    ) async throws -> Restriction
    func liftRestriction(_ id: String) async throws -> Restriction
    func restrictions(includeLifted: Bool) async throws -> [Restriction]

    // MARK: Erasure and retention
    func requestErasure(
        of subject: SubjectID, categories: [String]?, requester: ErasureRequest.Requester,
        ground: ErasureRequest.Ground
    ) async throws -> ErasureRequest
    func runErasure(_ id: String, batch: Int, progress: (ErasureProgress) -> Void) async throws -> ErasureRequest
    func erasureRequestsToRun() async throws -> [ErasureRequest]
    func erasureRequest(_ id: String) async throws -> ErasureRequest
    func erasureRequests(openOnly: Bool) async throws -> [ErasureRequest]
    func extendErasure(_ id: String) async throws -> ErasureRequest
    func erasureReceipt(_ id: String) async throws -> ErasureReceipt
    func sweepRetention(
        dryRun: Bool, batch: Int, progress: (RetentionSweep.Category) -> Void
    ) async throws -> RetentionSweep

    // MARK: The tenant's audit log
    func auditLog(_ filter: AuditFilter) async throws -> [AuditEntry]
    func verifyAudit(checkpoints given: [String]) async throws -> AuditVerification
    func signAuditCheckpoint() async throws -> String
    func auditVerifierKey() async throws -> CheckpointVerifier
    func auditInclusionProof(sequence: UInt64) async throws -> AuditInclusionProof
    func auditConsistencyProof(from note: String) async throws -> AuditConsistencyProof
}

extension TenantOperations {
    func addMemory(_ memory: NewMemory, to cube: CubeID) async throws -> Memory {
        try await addMemories([memory], to: cube)[0]
    }
}

extension TenantStore: TenantOperations {}
