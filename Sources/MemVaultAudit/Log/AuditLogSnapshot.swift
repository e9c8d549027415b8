/// A log held in memory: entries, their chain hashes and their Merkle leaves. What verification tools and tests
/// compute from stored entries; the store itself keeps the same values in its databases.
public struct AuditLogSnapshot: Sendable {
    public let origin: String
    public private(set) var entries: [AuditChain.StoredEntry] = []
    public private(set) var leafHashes: [[UInt8]] = []
    private var head: AuditChainHead

    public init(origin: String) throws {
        self.origin = origin
        head = try .empty(origin: origin)
    }

    /// Appends the next entry (its sequence must follow the last) and returns its chain hash.
    @discardableResult
    public mutating func append(_ entry: AuditEntry) throws -> [UInt8] {
        precondition(entry.sequence == UInt64(entries.count) + 1, "audit sequences have no gaps")
        let stored = try head.append(entry)
        entries.append(stored)
        leafHashes.append(try MerkleTree.leafHash(stored.encoded))
        return stored.hash
    }

    public var size: UInt64 { UInt64(entries.count) }

    public func root(size: UInt64? = nil) throws -> [UInt8] {
        try MerkleTree.root(Array(leafHashes.prefix(Int(size ?? self.size))))
    }

    public func checkpoint() throws -> Checkpoint {
        Checkpoint(origin: origin, size: size, rootHash: try root())
    }
}
