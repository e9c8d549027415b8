public import Foundation
public import MemVaultAudit
import MemVaultCrypto

/// A log as read from storage, with what verifying it needs: its origin and the key its checkpoints are signed
/// with. The same checks for a tenant's log and the installation's.
struct StoredAuditLog {
    let origin: String
    let verifier: CheckpointVerifier
    let entries: [StoredAuditEntry]
    let checkpoints: [StoredCheckpoint]

    /// Reads a whole log page by page.
    static func read(_ reader: any AuditLogReader) throws -> ([StoredAuditEntry], [StoredCheckpoint]) {
        var entries: [StoredAuditEntry] = []
        while true {
            let page = try reader.auditEntries(after: entries.last?.sequence ?? 0, limit: 10_000)
            guard !page.isEmpty else { break }
            entries += page
        }
        return (entries, try reader.checkpoints())
    }

    func leaves() throws -> [[UInt8]] {
        try entries.map { try MerkleTree.leafHash($0.encoded) }
    }

    /// Recomputes the chain from the origin's genesis and the Merkle tree, then checks the stored checkpoints and
    /// the given ones (`source`, note) against it. `latest` is the latest checkpoint as kept outside the log's
    /// database: it must be among the stored ones (else it was deleted there) and, like them, match the log.
    func verification(_ given: [(source: String, note: String)], latest: String? = nil) throws -> AuditVerification {
        let problem = try AuditChain.verify(entries, origin: origin)
        let leaves = try leaves()
        var results = try checkpoints.map { try checkpointResult($0.note, source: "stored", leaves: leaves) }
        if let latest, !checkpoints.contains(where: { $0.note == latest }) {
            let copy = try checkpointResult(latest, source: "installation", leaves: leaves)
            results.append(
                .init(
                    source: "installation", size: copy.size, valid: false,
                    problem: copy.problem
                        ?? "the log's database no longer holds its latest checkpoint (of \(copy.size ?? 0) entries): "
                        + "it was deleted"))
        }
        results += try given.map { try checkpointResult($0.note, source: $0.source, leaves: leaves) }
        return AuditVerification(
            origin: origin, entries: UInt64(entries.count), root: Hex.encode(try MerkleTree.root(leaves)),
            firstBadSequence: problem?.sequence, problem: problem?.reason, checkpoints: results)
    }

    func inclusionProof(sequence: UInt64) throws -> AuditInclusionProof {
        let leaves = try leaves()
        guard sequence >= 1, sequence <= UInt64(leaves.count) else {
            throw MemVaultError(.notFound, "the audit log \(origin) has no entry \(sequence)")
        }
        let index = Int(sequence - 1)
        return AuditInclusionProof(
            sequence: sequence, treeSize: UInt64(leaves.count), leafHash: Hex.encode(leaves[index]),
            proof: try MerkleTree.inclusionProof(index: index, leaves).map(Hex.encode),
            root: Hex.encode(try MerkleTree.root(leaves)))
    }

    /// Entry `sequence` with its leaf hash and inclusion path in the tree of the first `treeSize` entries (what a
    /// checkpoint of that size signed).
    func inclusionProof(
        sequence: UInt64, treeSize: UInt64
    ) throws -> (entry: [UInt8], leafHash: [UInt8], path: [[UInt8]]) {
        guard sequence >= 1, sequence <= treeSize, treeSize <= UInt64(entries.count) else {
            throw MemVaultError(.notFound, "the audit log \(origin) has no entry \(sequence) in its first \(treeSize)")
        }
        let leaves = Array(try leaves().prefix(Int(treeSize)))
        let index = Int(sequence - 1)
        return (entries[index].encoded, leaves[index], try MerkleTree.inclusionProof(index: index, leaves))
    }

    func consistencyProof(from note: String) throws -> AuditConsistencyProof {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(note, verifier: verifier)
        } catch let failure as Checkpoint.Failure {
            throw MemVaultError(.invalidArgument, "the checkpoint does not open: \(failure.description)")
        }
        guard checkpoint.origin == origin else {
            throw MemVaultError(.invalidArgument, "the checkpoint is for \(checkpoint.origin), not \(origin)")
        }
        let leaves = try leaves()
        guard checkpoint.size <= UInt64(leaves.count) else {
            throw MemVaultError(
                .integrity,
                "the checkpoint covers \(checkpoint.size) entries but the log has \(leaves.count): it was truncated")
        }
        let proof = try MerkleTree.consistencyProof(oldSize: Int(checkpoint.size), leaves)
        let root = try MerkleTree.root(leaves)
        return AuditConsistencyProof(
            oldSize: checkpoint.size, newSize: UInt64(leaves.count), oldRoot: Hex.encode(checkpoint.rootHash),
            newRoot: Hex.encode(root), proof: proof.map(Hex.encode),
            verified: MerkleTree.verifyConsistency(
                oldSize: checkpoint.size, newSize: UInt64(leaves.count), oldRoot: checkpoint.rootHash, newRoot: root,
                proof: proof))
    }

    /// Entries matching every given filter, oldest first; `pseudonym` is the subject filter's audit pseudonym.
    func entries(matching filter: AuditFilter, pseudonym: String?) throws -> [AuditEntry] {
        try entries.map { try AuditEncoding.decode($0.encoded) }.filter { entry in
            (filter.from.map { entry.time >= StoredTime(now: $0) } ?? true)
                && (filter.until.map { entry.time < StoredTime(now: $0) } ?? true)
                && (filter.action.map { entry.action == $0 } ?? true)
                && (filter.actor.map { entry.actor == $0 } ?? true)
                && (filter.cube.map { entry.cube == $0.rawValue } ?? true)
                && (pseudonym.map { entry.subject == $0 } ?? true)
        }
    }

    /// A signed checkpoint of the log as it is, refused if the log does not verify or is inconsistent with an
    /// earlier checkpoint (stored, or the `latest` kept outside).
    func signedCheckpoint(by key: Ed25519.PrivateKey, latest: String? = nil, at time: Date) throws -> StoredCheckpoint {
        let verification = try verification([], latest: latest)
        guard verification.isValid else {
            throw MemVaultError(
                .integrity,
                "refusing to sign a checkpoint: \(verification.problemSummary ?? "the log does not verify")")
        }
        let root = try MerkleTree.root(try leaves())
        let checkpoint = Checkpoint(origin: origin, size: verification.entries, rootHash: root)
        return StoredCheckpoint(
            size: checkpoint.size, root: root, note: try checkpoint.signed(by: key, keyName: origin),
            createdAt: StoredTime(now: time))
    }

    private func checkpointResult(
        _ note: String, source: String, leaves: [[UInt8]]
    ) throws -> AuditVerification.CheckpointResult {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(note, verifier: verifier)
        } catch let failure as Checkpoint.Failure {
            return .init(source: source, size: nil, valid: false, problem: failure.description)
        }
        guard checkpoint.origin == origin else {
            return .init(
                source: source, size: checkpoint.size, valid: false,
                problem: "the checkpoint is for \(checkpoint.origin)")
        }
        guard checkpoint.size <= UInt64(leaves.count) else {
            return .init(
                source: source, size: checkpoint.size, valid: false,
                problem: "the checkpoint covers \(checkpoint.size) entries but the log has \(leaves.count): truncated")
        }
        guard try MerkleTree.root(Array(leaves.prefix(Int(checkpoint.size)))) == checkpoint.rootHash else {
            return .init(
                source: source, size: checkpoint.size, valid: false,
                problem: "the first \(checkpoint.size) entries no longer have the root the checkpoint signed: rewritten"
            )
        }
        return .init(source: source, size: checkpoint.size, valid: true, problem: nil)
    }
}

/// What `verifyAudit` found.
public struct AuditVerification: Sendable, Codable {
    public struct CheckpointResult: Sendable, Codable {
        /// Where the checkpoint came from: `stored` (in the log's own database), `installation` (the copy the
        /// catalog keeps of a tenant's latest), or `given` (held by the auditor).
        public let source: String
        public let size: UInt64?
        public let valid: Bool
        public let problem: String?
    }

    /// The log: `memvault.local/<tenant>`, or the installation's.
    public let origin: String
    public let entries: UInt64
    /// The Merkle root of all entries, hex.
    public let root: String
    public let firstBadSequence: UInt64?
    public let problem: String?
    public let checkpoints: [CheckpointResult]

    /// The tenant the log belongs to, if it is a tenant's.
    public var tenant: String { AuditOrigins.tenant(named: origin)?.rawValue ?? "installation" }

    public var isValid: Bool { firstBadSequence == nil && checkpoints.allSatisfy(\.valid) }

    /// Every problem found, or nil if the log verifies.
    public var problemSummary: String? {
        let problems =
            (firstBadSequence.map { ["entry \($0): \(problem ?? "")"] } ?? [])
            + checkpoints.filter { !$0.valid }.map { "\($0.source) checkpoint: \($0.problem ?? "")" }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private enum CodingKeys: String, CodingKey {
        case origin, tenant, entries, root, firstBadSequence, problem, checkpoints, valid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin, forKey: .origin)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(entries, forKey: .entries)
        try container.encode(root, forKey: .root)
        try container.encodeIfPresent(firstBadSequence, forKey: .firstBadSequence)
        try container.encodeIfPresent(problem, forKey: .problem)
        try container.encode(checkpoints, forKey: .checkpoints)
        try container.encode(isValid, forKey: .valid)
    }
}

public struct AuditInclusionProof: Sendable, Codable {
    public let sequence: UInt64
    public let treeSize: UInt64
    public let leafHash: String
    public let proof: [String]
    public let root: String
}

public struct AuditConsistencyProof: Sendable, Codable {
    public let oldSize: UInt64
    public let newSize: UInt64
    public let oldRoot: String
    public let newRoot: String
    public let proof: [String]
    public let verified: Bool
}

/// Filters for `auditLog`; every given one must match.
public struct AuditFilter: Sendable {
    public var from: Date?
    public var until: Date?
    public var action: AuditAction?
    public var actor: String?
    public var cube: CubeID?
    public var subject: SubjectID?

    public init(
        from: Date? = nil, until: Date? = nil, action: AuditAction? = nil, actor: String? = nil, cube: CubeID? = nil,
        subject: SubjectID? = nil
    ) {
        self.from = from
        self.until = until
        self.action = action
        self.actor = actor
        self.cube = cube
        self.subject = subject
    }
}

extension AuditVerification {
    /// Reads what `encode(to:)` writes (a client of the HTTP API); `tenant` and `valid` follow from the rest.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        origin = try container.decode(String.self, forKey: .origin)
        entries = try container.decode(UInt64.self, forKey: .entries)
        root = try container.decode(String.self, forKey: .root)
        firstBadSequence = try container.decodeIfPresent(UInt64.self, forKey: .firstBadSequence)
        problem = try container.decodeIfPresent(String.self, forKey: .problem)
        checkpoints = try container.decode([CheckpointResult].self, forKey: .checkpoints)
    }
}
