public import MemVault

/// What the memory tools ask of the tenant, with `TenantStore`'s own signatures: a local store (with the master key)
/// and the command line's client of a running server both answer them, so an agent's call is decided and audited
/// by the same operation as its REST equivalent.
public protocol MemoryToolAccess: Sendable {
    /// The subject the tenant's side confines these operations to, if it does (`TenantStore.confined(to:)`): then
    /// it answers other subjects' ids as unknown itself, and a tool call is recorded exactly as its REST equivalent.
    var confinement: SubjectID? { get }
    func cubes(owner: CubeOwner?, after cursor: String?, limit: Int) async throws -> Page<MemCube>
    func cube(_ id: CubeID) async throws -> MemCube
    func createCube(_ new: NewCube) async throws -> MemCube
    func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory]
    func memory(_ id: MemoryID, version: Int?) async throws -> Memory
    func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus>, after cursor: String?, limit: Int
    ) async throws -> Page<Memory>
    func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory
    func deleteMemory(_ id: MemoryID) async throws
    func search(_ query: SearchQuery, embedder: (any Embedder)?) async throws -> SearchResults
    func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord]
}

extension TenantStore: MemoryToolAccess {}
