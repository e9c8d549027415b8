public import MemVaultCrypto

/// RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: root, inclusion and consistency proofs, and their
/// verification. Leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right).
///
/// Verification follows the reference algorithm of transparency-dev/merkle (proofs decomposed into an "inner" part
/// below the split point and a "border" part along the right edge), so that any RFC 6962 log can check us and we
/// can check them.
public enum MerkleTree {
    public static let hashByteCount = 32

    public static func leafHash(_ leaf: some ContiguousBytes) throws -> [UInt8] {
        var hasher = try SHA256Hasher()
        try hasher.update([UInt8(0)])
        try hasher.update(leaf)
        return try hasher.finalize()
    }

    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) throws -> [UInt8] {
        var hasher = try SHA256Hasher()
        try hasher.update([UInt8(1)])
        try hasher.update(left)
        try hasher.update(right)
        return try hasher.finalize()
    }

    /// MTH of a list of leaf hashes; the empty tree's root is SHA-256 of the empty string.
    public static func root(_ leafHashes: ArraySlice<[UInt8]>) throws -> [UInt8] {
        switch leafHashes.count {
        case 0: return try SHA256.hash([UInt8]())
        case 1: return leafHashes.first!
        default:
            let split = largestPowerOfTwo(below: leafHashes.count)
            let start = leafHashes.startIndex
            return try nodeHash(
                root(leafHashes[start..<(start + split)]), root(leafHashes[(start + split)...]))
        }
    }

    public static func root(_ leafHashes: [[UInt8]]) throws -> [UInt8] { try root(leafHashes[...]) }

    /// PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf `index`.
    public static func inclusionProof(index: Int, _ leafHashes: [[UInt8]]) throws -> [[UInt8]] {
        precondition(index >= 0 && index < leafHashes.count)
        return try path(index, leafHashes[...])
    }

    /// PROOF(m, D[n]) of RFC 6962 §2.1.2: that the first `oldSize` leaves form a prefix of all of them.
    public static func consistencyProof(oldSize: Int, _ leafHashes: [[UInt8]]) throws -> [[UInt8]] {
        precondition(oldSize >= 0 && oldSize <= leafHashes.count)
        guard oldSize > 0, oldSize < leafHashes.count else { return [] }
        return try subproof(oldSize, leafHashes[...], complete: true)
    }

    private static func path(_ index: Int, _ leaves: ArraySlice<[UInt8]>) throws -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let split = largestPowerOfTwo(below: leaves.count)
        let start = leaves.startIndex
        if index < split {
            return try path(index, leaves[start..<(start + split)]) + [root(leaves[(start + split)...])]
        }
        return try path(index - split, leaves[(start + split)...]) + [root(leaves[start..<(start + split)])]
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, complete: Bool) throws -> [[UInt8]] {
        let n = leaves.count
        if m == n { return complete ? [] : [try root(leaves)] }
        let split = largestPowerOfTwo(below: n)
        let start = leaves.startIndex
        if m <= split {
            return try subproof(m, leaves[start..<(start + split)], complete: complete) + [
                root(leaves[(start + split)...])
            ]
        }
        return try subproof(m - split, leaves[(start + split)...], complete: false) + [
            root(leaves[start..<(start + split)])
        ]
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    // MARK: - Verification

    /// True if `leafHash` is leaf `index` of the tree of `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        guard index < treeSize, leafHash.count == hashByteCount else { return false }
        let (inner, border) = decompose(index, treeSize)
        guard proof.count == inner + border else { return false }
        guard
            let computed = try? chainBorderRight(
                chainInner(leafHash, proof[0..<inner], index), proof[inner...])
        else { return false }
        return ConstantTime.equals(computed, root)
    }

    /// True if the tree of `oldSize` leaves with `oldRoot` is a prefix of the tree of `newSize` leaves with
    /// `newRoot`.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        switch true {
        // A proof from the empty tree proves nothing; the reference implementation refuses it, even 0 to 0.
        case oldSize == 0: return false
        case newSize < oldSize: return false
        case oldSize == newSize: return proof.isEmpty && ConstantTime.equals(oldRoot, newRoot)
        case proof.isEmpty: return false
        default: break
        }
        var (inner, border) = decompose(oldSize - 1, newSize)
        let shift = oldSize.trailingZeroBitCount
        inner -= shift
        // When the old tree is a complete subtree, its root is the seed; otherwise the proof starts with it.
        var seed = proof[0]
        var start = 1
        if oldSize == 1 << UInt64(shift) {
            seed = oldRoot
            start = 0
        }
        guard proof.count == start + inner + border else { return false }
        let rest = proof[start...]
        let innerPart = rest.prefix(inner)
        let borderPart = rest.dropFirst(inner)
        let mask = (oldSize - 1) >> UInt64(shift)
        guard
            let computedOld = try? chainBorderRight(chainInnerRight(seed, innerPart, mask), borderPart),
            let computedNew = try? chainBorderRight(chainInner(seed, innerPart, mask), borderPart)
        else { return false }
        return ConstantTime.equals(computedOld, oldRoot) && ConstantTime.equals(computedNew, newRoot)
    }

    /// The number of proof hashes below the split between `index` and the last leaf, and along the right border.
    private static func decompose(_ index: UInt64, _ size: UInt64) -> (inner: Int, border: Int) {
        let inner = UInt64.bitWidth - (index ^ (size - 1)).leadingZeroBitCount
        return (inner, (index >> UInt64(inner)).nonzeroBitCount)
    }

    private static func chainInner(_ seed: [UInt8], _ proof: ArraySlice<[UInt8]>, _ index: UInt64) throws -> [UInt8] {
        var hash = seed
        for (offset, sibling) in proof.enumerated() {
            hash = (index >> UInt64(offset)) & 1 == 0 ? try nodeHash(hash, sibling) : try nodeHash(sibling, hash)
        }
        return hash
    }

    private static func chainInnerRight(
        _ seed: [UInt8], _ proof: ArraySlice<[UInt8]>, _ index: UInt64
    ) throws -> [UInt8] {
        var hash = seed
        for (offset, sibling) in proof.enumerated() where (index >> UInt64(offset)) & 1 == 1 {
            hash = try nodeHash(sibling, hash)
        }
        return hash
    }

    private static func chainBorderRight(_ seed: [UInt8], _ proof: ArraySlice<[UInt8]>) throws -> [UInt8] {
        var hash = seed
        for sibling in proof { hash = try nodeHash(sibling, hash) }
        return hash
    }
}
