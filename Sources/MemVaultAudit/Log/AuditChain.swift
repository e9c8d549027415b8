import MemVaultCrypto

/// The hash chain over encoded entries: `hash(n) = SHA-256(hash(n-1) ‖ encoded(n))`, starting from a genesis hash
/// derived from the log's origin. Changing, removing, inserting or reordering any entry changes every hash after it,
/// and a log copied from another origin (another tenant's database) fails at its first entry.
public enum AuditChain {
    /// `hash(0)`: SHA-256 of "memvault.audit.genesis.v2", a newline and the origin (Audit/SPEC.md).
    public static func genesis(origin: String) throws -> [UInt8] {
        try SHA256.hash(Array("memvault.audit.genesis.v2\n\(origin)".utf8))
    }

    public static func hash(previous: [UInt8], encoded: [UInt8]) throws -> [UInt8] {
        var hasher = try SHA256Hasher()
        try hasher.update(previous)
        try hasher.update(encoded)
        return try hasher.finalize()
    }

    /// A stored entry as the verifier sees it.
    public struct StoredEntry: Sendable, Equatable {
        public let sequence: UInt64
        public let encoded: [UInt8]
        public let hash: [UInt8]

        public init(sequence: UInt64, encoded: [UInt8], hash: [UInt8]) {
            self.sequence = sequence
            self.encoded = encoded
            self.hash = hash
        }
    }

    /// The first problem found when recomputing a log from its start.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let sequence: UInt64
        public let reason: String
        public var description: String { "entry \(sequence): \(reason)" }
    }

    /// Recomputes every hash from the origin's genesis; returns the first problem, or nil if the chain holds.
    ///
    /// Each entry's sequence is read from its fixed place in the encoding (bytes 4–11 after the magic) rather
    /// than by decoding the whole entry: the hash covers every byte, and this keeps verification above a million
    /// entries a second. `AuditEncoding.decode` checks an entry's structure when it is read.
    public static func verify(_ entries: some Sequence<StoredEntry>, origin: String) throws -> Problem? {
        let digester = try SHA256Digester()
        var previous = try genesis(origin: origin)
        var expected: UInt64 = 1
        for entry in entries {
            guard entry.sequence == expected else {
                return Problem(
                    sequence: expected,
                    reason: entry.sequence > expected
                        ? "missing: the next stored entry is \(entry.sequence)"
                        : "out of order: found \(entry.sequence) after \(expected - 1)")
            }
            guard entry.encoded.count >= 12, entry.encoded[0..<4].elementsEqual(AuditEncoding.magic) else {
                return Problem(sequence: entry.sequence, reason: "not an MVA1 entry")
            }
            let encodedSequence = entry.encoded[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard encodedSequence == entry.sequence else {
                return Problem(sequence: entry.sequence, reason: "the encoded entry says sequence \(encodedSequence)")
            }
            let hash = try digester.hash(previous, entry.encoded)
            guard ConstantTime.equals(hash, entry.hash) else {
                return Problem(
                    sequence: entry.sequence,
                    reason: expected == 1
                        ? "hash mismatch: the entry was changed, or the log belongs to another origin than \(origin)"
                        : "hash mismatch: the entry or one before it was changed")
            }
            previous = hash
            expected += 1
        }
        return nil
    }
}

/// The end of a log: the last sequence and its chain hash. Appending is done here, so every storage backend chains
/// entries the same way; the backend only has to serialise appends and read the tail inside each transaction.
public struct AuditChainHead: Sendable, Equatable {
    /// The last entry's sequence; 0 for an empty log.
    public private(set) var sequence: UInt64
    /// The last entry's chain hash; the genesis for an empty log.
    public private(set) var hash: [UInt8]

    /// The head of an empty log of `origin`.
    public static func empty(origin: String) throws -> AuditChainHead {
        AuditChainHead(sequence: 0, hash: try AuditChain.genesis(origin: origin))
    }

    /// The head after a stored entry.
    public init(sequence: UInt64, hash: [UInt8]) {
        self.sequence = sequence
        self.hash = hash
    }

    /// Chains `entry` as the next entry: gives it the next sequence, encodes and hashes it, and moves the head.
    public mutating func append(_ entry: AuditEntry) throws -> AuditChain.StoredEntry {
        var entry = entry
        entry.sequence = sequence + 1
        let encoded = AuditEncoding.encode(entry)
        let next = try AuditChain.hash(previous: hash, encoded: encoded)
        sequence = entry.sequence
        hash = next
        return AuditChain.StoredEntry(sequence: entry.sequence, encoded: encoded, hash: next)
    }
}
