import MemVaultCrypto

/// The hash chain over encoded entries: `hash(n) = SHA-256(hash(n-1) ‖ encoded(n))`, with 32 zero bytes before the
/// first entry. Changing, removing, inserting or reordering any entry changes every hash after it.
public enum AuditChain {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func hash(previous: [UInt8], encoded: [UInt8]) throws -> [UInt8] {
        var hasher = try SHA256Hasher()
        try hasher.update(previous)
        try hasher.update(encoded)
        return try hasher.finalize()
    }

    /// A stored entry as the verifier sees it.
    public struct StoredEntry: Sendable {
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

    /// Recomputes every hash from the genesis; returns the first problem, or nil if the chain holds.
    ///
    /// Each entry's sequence is read from its fixed place in the encoding (bytes 4–11 after the magic) rather
    /// than by decoding the whole entry: the hash covers every byte, and this keeps verification above a million
    /// entries a second. `AuditEncoding.decode` checks an entry's structure when it is read.
    public static func verify(_ entries: some Sequence<StoredEntry>) throws -> Problem? {
        let digester = try SHA256Digester()
        var previous = genesis
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
                    sequence: entry.sequence, reason: "hash mismatch: the entry or one before it was changed")
            }
            previous = hash
            expected += 1
        }
        return nil
    }
}
