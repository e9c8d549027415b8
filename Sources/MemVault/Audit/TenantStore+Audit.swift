public import Foundation
public import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy

/// The tenant's audit log, for auditors: verification, signed checkpoints, proofs and filtered reading.
extension TenantStore {
    static let auditRoles: Set<Role> = [.auditor, .dataProtectionOfficer, .administrator]

    /// The log's origin and checkpoint key name (C2SP): `memvault.local/<tenant>`.
    public var auditOrigin: String { "memvault.local/\(tenant)" }

    /// The verifier key an auditor keeps outside the database to check this tenant's checkpoints.
    public func auditVerifierKey() throws -> CheckpointVerifier {
        do {
            try requireRole(Self.auditRoles, "read the audit log")
        } catch let denial as PolicyDenial {
            throw MemVaultError(.denied, denial.message)
        }
        return try CheckpointVerifier(keyName: auditOrigin, publicKey: keys.auditSigningKey(tenant).publicKey)
    }

    /// Recomputes every hash from the stored entries, then the Merkle tree, then checks every stored checkpoint and
    /// the given ones (C2SP signed notes) against it.
    public func verifyAudit(checkpoints given: [String] = []) async throws -> AuditVerification {
        try await audited("audit") { try await verifyAuditAudited(checkpoints: given) }
    }

    private func verifyAuditAudited(checkpoints given: [String]) async throws -> AuditVerification {
        try requireRole(Self.auditRoles, "verify the audit log")
        let entries = try await allAuditEntries()
        let chained = entries.map { AuditChain.StoredEntry(sequence: $0.sequence, encoded: $0.encoded, hash: $0.hash) }
        let problem = try AuditChain.verify(chained)
        let leaves = try entries.map { try MerkleTree.leafHash($0.encoded) }
        let verifier = try auditVerifierKey()
        var results: [AuditVerification.CheckpointResult] = []
        for stored in try await storage.checkpoints() {
            results.append(try checkpointResult(stored.note, source: "stored", leaves: leaves, verifier: verifier))
        }
        for note in given {
            results.append(try checkpointResult(note, source: "given", leaves: leaves, verifier: verifier))
        }
        return AuditVerification(
            tenant: tenant.rawValue, entries: UInt64(entries.count), root: Hex.encode(try MerkleTree.root(leaves)),
            firstBadSequence: problem?.sequence, problem: problem?.reason, checkpoints: results)
    }

    /// Signs a checkpoint of the log as it is now, and stores it. Refused if the log is not a valid chain or is
    /// inconsistent with any earlier checkpoint.
    public func signAuditCheckpoint() async throws -> String {
        try await audited("audit") {
            let decision = try requireRole([.auditor, .dataProtectionOfficer, .administrator], "sign checkpoints")
            // The checkpoint entry goes in first, so the checkpoint covers its own creation.
            try await storage.appendAudit(draft("audit", decision: decision, detail: "checkpoint"))
            let verification = try await verifyAuditAudited(checkpoints: [])
            guard verification.isValid else {
                throw MemVaultError(
                    .integrity,
                    "refusing to sign a checkpoint: \(verification.problemSummary ?? "the log does not verify")")
            }
            let checkpoint = Checkpoint(
                origin: auditOrigin, size: verification.entries, rootHash: Hex.decode(verification.root) ?? [])
            let note = try checkpoint.signed(by: keys.auditSigningKey(tenant), keyName: auditOrigin)
            try await storage.insertCheckpoint(
                StoredCheckpoint(
                    size: checkpoint.size, root: checkpoint.rootHash, note: note, createdAt: StoredTime(now: .now)))
            return note
        }
    }

    /// Signs a checkpoint if the log has grown by at least `interval` entries since the last one: the periodic
    /// checkpoint, run when a store closes (and by a long-running server on a timer). Returns the note if it signed.
    @discardableResult
    public func signAuditCheckpointIfDue(interval: UInt64) async throws -> String? {
        let size = try await storage.auditSize()
        let last = try await storage.checkpoints().last?.size ?? 0
        guard size >= last + interval else { return nil }
        return try await signAuditCheckpoint()
    }

    /// The inclusion proof of entry `sequence` in the current tree.
    public func auditInclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        try await audited("audit") { try await auditInclusionProofAudited(sequence: sequence) }
    }

    private func auditInclusionProofAudited(sequence: UInt64) async throws -> AuditInclusionProof {
        try requireRole(Self.auditRoles, "read the audit log")
        let leaves = try await allAuditEntries().map { try MerkleTree.leafHash($0.encoded) }
        guard sequence >= 1, sequence <= UInt64(leaves.count) else {
            throw MemVaultError(.notFound, "the audit log of tenant '\(tenant)' has no entry \(sequence)")
        }
        let index = Int(sequence - 1)
        return AuditInclusionProof(
            sequence: sequence, treeSize: UInt64(leaves.count), leafHash: Hex.encode(leaves[index]),
            proof: try MerkleTree.inclusionProof(index: index, leaves).map(Hex.encode),
            root: Hex.encode(try MerkleTree.root(leaves)))
    }

    /// The consistency proof from a checkpoint (held by the caller) to the current tree.
    public func auditConsistencyProof(from note: String) async throws -> AuditConsistencyProof {
        try await audited("audit") { try await auditConsistencyProofAudited(from: note) }
    }

    private func auditConsistencyProofAudited(from note: String) async throws -> AuditConsistencyProof {
        try requireRole(Self.auditRoles, "read the audit log")
        let checkpoint = try Checkpoint.open(note, verifier: auditVerifierKey())
        let leaves = try await allAuditEntries().map { try MerkleTree.leafHash($0.encoded) }
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

    /// Entries matching every given filter, oldest first. `subject` is matched by its audit pseudonym.
    public func auditLog(_ filter: AuditFilter = AuditFilter()) async throws -> [AuditEntry] {
        try await audited("audit") { try await auditLogAudited(filter) }
    }

    private func auditLogAudited(_ filter: AuditFilter) async throws -> [AuditEntry] {
        try requireRole(Self.auditRoles, "read the audit log")
        let pseudonym = try filter.subject.flatMap { try auditPseudonym($0) }
        return try await allAuditEntries().map { try AuditEncoding.decode($0.encoded) }.filter { entry in
            (filter.from.map { entry.time >= StoredTime(now: $0) } ?? true)
                && (filter.until.map { entry.time < StoredTime(now: $0) } ?? true)
                && (filter.action.map { entry.action == $0 } ?? true)
                && (filter.actor.map { entry.actor == $0 } ?? true)
                && (filter.cube.map { entry.cube == $0.rawValue } ?? true)
                && (pseudonym.map { entry.subject == $0 } ?? true)
        }
    }

    private func allAuditEntries() async throws -> [StoredAuditEntry] {
        var entries: [StoredAuditEntry] = []
        while true {
            let page = try await storage.auditEntries(after: entries.last?.sequence ?? 0, limit: 10_000)
            guard !page.isEmpty else { return entries }
            entries += page
        }
    }

    private func checkpointResult(
        _ note: String, source: String, leaves: [[UInt8]], verifier: CheckpointVerifier
    ) throws -> AuditVerification.CheckpointResult {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(note, verifier: verifier)
        } catch let failure as Checkpoint.Failure {
            return .init(source: source, size: nil, valid: false, problem: failure.description)
        }
        guard checkpoint.origin == auditOrigin else {
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
public struct AuditVerification: Sendable, Encodable {
    public struct CheckpointResult: Sendable, Encodable {
        public let source: String
        public let size: UInt64?
        public let valid: Bool
        public let problem: String?
    }

    public let tenant: String
    public let entries: UInt64
    /// The Merkle root of all entries, hex.
    public let root: String
    public let firstBadSequence: UInt64?
    public let problem: String?
    public let checkpoints: [CheckpointResult]

    public var isValid: Bool { firstBadSequence == nil && checkpoints.allSatisfy(\.valid) }

    public var problemSummary: String? {
        if let firstBadSequence { return "entry \(firstBadSequence): \(problem ?? "")" }
        return checkpoints.first { !$0.valid }.map { "\($0.source) checkpoint: \($0.problem ?? "")" }
    }
}

public struct AuditInclusionProof: Sendable, Encodable {
    public let sequence: UInt64
    public let treeSize: UInt64
    public let leafHash: String
    public let proof: [String]
    public let root: String
}

public struct AuditConsistencyProof: Sendable, Encodable {
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
    public var action: String?
    public var actor: String?
    public var cube: CubeID?
    public var subject: SubjectID?

    public init(
        from: Date? = nil, until: Date? = nil, action: String? = nil, actor: String? = nil, cube: CubeID? = nil,
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
