/// A log held in memory: entries, their chain hashes and their Merkle leaves. What verification tools and tests
/// compute from stored entries; the store itself keeps the same values in the tenant's database.
public struct AuditLogSnapshot: Sendable {
    public private(set) var entries: [AuditChain.StoredEntry] = []
    public private(set) var leafHashes: [[UInt8]] = []

    public init() {}

    /// Appends the next entry (its sequence must follow the last) and returns its chain hash.
    @discardableResult
    public mutating func append(_ entry: AuditEntry) throws -> [UInt8] {
        precondition(entry.sequence == UInt64(entries.count) + 1, "audit sequences have no gaps")
        let encoded = AuditEncoding.encode(entry)
        let hash = try AuditChain.hash(previous: entries.last?.hash ?? AuditChain.genesis, encoded: encoded)
        entries.append(AuditChain.StoredEntry(sequence: entry.sequence, encoded: encoded, hash: hash))
        leafHashes.append(try MerkleTree.leafHash(encoded))
        return hash
    }

    public var size: UInt64 { UInt64(entries.count) }

    public func root(size: UInt64? = nil) throws -> [UInt8] {
        try MerkleTree.root(Array(leafHashes.prefix(Int(size ?? self.size))))
    }

    public func checkpoint(origin: String) throws -> Checkpoint {
        Checkpoint(origin: origin, size: size, rootHash: try root())
    }
}
