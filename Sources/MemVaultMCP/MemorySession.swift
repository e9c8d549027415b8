public import MemVault

/// One agent's session: the tenant's operations as the credential (tenant, role, purpose) and the one subject whose
/// memory the tools reach. The subject is fixed when the session starts, by its configuration, never taken from a
/// tool's arguments, so no prompt can steer an agent to another user's memory.
public struct MemorySession: Sendable {
    public let access: any MemoryToolAccess
    public let subject: SubjectID
    /// The cube `remember` writes to when the call names none; nil: the subject's oldest cube, made if it has none.
    public let defaultCube: CubeID?
    /// Embeds recall queries for hybrid search; nil: words only (or the server's own embedder, through a server).
    public let embedder: (any Embedder)?

    public init(
        access: any MemoryToolAccess, subject: SubjectID, defaultCube: CubeID? = nil, embedder: (any Embedder)? = nil
    ) {
        self.access = access
        self.subject = subject
        self.defaultCube = defaultCube
        self.embedder = embedder
    }

    /// The name of the cube made for a subject that has none when an agent first remembers something.
    static let agentCubeName = "agent memory"

    /// Where `remember` writes: the named cube, else the session's, else the subject's oldest, else a new one.
    /// A named cube must be the subject's: another's answers exactly as an unknown cube.
    func cube(named id: CubeID?) async throws -> CubeID {
        if let id = id ?? defaultCube {
            // A confined store answers another subject's cube as unknown when it is written to.
            if access.confinement == subject { return id }
            guard try await access.cube(id).owner == .subject(subject) else {
                throw MemVaultError(.notFound, "no cube \(id)")
            }
            return id
        }
        if let oldest = try await access.cubes(owner: .subject(subject), after: nil, limit: 1).items.first {
            return oldest.id
        }
        return try await access.createCube(NewCube(owner: .subject(subject), name: Self.agentCubeName)).id
    }
}
