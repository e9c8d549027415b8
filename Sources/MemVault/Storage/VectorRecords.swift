/// A memory's embedding as stored: sealed under the owner's data key, bound to its memory and version
/// (`Bindings.vector`). Only current versions have one.
public struct VectorRecord: Sendable, Equatable {
    public let memory: MemoryID
    public let cube: CubeID
    public let version: Int
    public let keyVersion: UInt32
    public var sealed: [UInt8]

    public init(memory: MemoryID, cube: CubeID, version: Int, keyVersion: UInt32, sealed: [UInt8]) {
        self.memory = memory
        self.cube = cube
        self.version = version
        self.keyVersion = keyVersion
        self.sealed = sealed
    }
}

public protocol VectorReader {
    /// Every embedding of the cube's current versions, in memory id order.
    func vectors(in cube: CubeID) throws -> [VectorRecord]
    /// The embedding of a memory's current version, if it has one.
    func vector(of memory: MemoryID) throws -> VectorRecord?
    /// A number that changes whenever the cube's embeddings change (in any process): what a cache of opened
    /// vectors checks before it is used.
    func vectorGeneration(of cube: CubeID) throws -> Int64
    /// How many of the cube's memories (current versions) have no embedding yet, read in constant time, for a cube
    /// whose additions are counted (`countAwaitingEmbedding`).
    func awaitingEmbedding(in cube: CubeID) throws -> Int
    /// Up to `limit` of the cube's current versions without an embedding, in memory id order, after `after`.
    func memoriesAwaitingEmbedding(in cube: CubeID, after: MemoryID?, limit: Int) throws -> [MemoryRecord]
}

/// Embeddings change in the unit of work that changes their memory. Deleting a memory or a cube removes them in the
/// same call; replacing a memory's current version removes its embedding, which the new version stores again if it
/// has one.
public protocol VectorRecords: VectorReader {
    /// Stores embeddings, replacing any a memory had.
    func storeVectors(_ records: [VectorRecord]) throws
    /// Removes every embedding of the cube, so that its memories are embedded again (by another model); how many.
    func removeVectors(in cube: CubeID) throws -> Int
    /// Counts memories just stored as current versions (added, or replacing a version) in a cube that names an
    /// embedder, into its backlog. Only such cubes keep one; deletions and embeddings are counted by the backend.
    func countAwaitingEmbedding(_ added: Int, in cube: CubeID) throws
}
