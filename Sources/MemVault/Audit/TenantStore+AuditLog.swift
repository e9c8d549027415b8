import Foundation
import Logging
public import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy

/// The tenant's audit log, for auditors: verification, signed checkpoints, proofs and filtered reading. Each of
/// these is an operation like any other: admitted by role and recorded in the log it reads.
extension TenantStore {
    /// The verifier key an auditor keeps outside the database to check this tenant's checkpoints.
    public func auditVerifierKey() async throws -> CheckpointVerifier {
        try await performOutsideUnit(.readVerifierKey, { try verifier() }, outcome: { _ in (1, "verifier key") })
    }

    /// Recomputes every hash from the stored entries, then the Merkle tree, then checks every stored checkpoint,
    /// the copy of the latest one the catalog keeps, and the given ones (C2SP signed notes) against it.
    public func verifyAudit(checkpoints given: [String] = []) async throws -> AuditVerification {
        try await performOutsideUnit(
            .verifyAuditLog, { try await verification(given) },
            outcome: { ($0.entries, $0.isValid ? "verified" : "verification failed") })
    }

    private func verification(_ given: [String]) async throws -> AuditVerification {
        let log = try await storedLog()
        let installationCopy = try await resources.catalog.entry(of: tenant).checkpoint
        return try log.verification(given.map { ("given", $0) }, latest: installationCopy)
    }

    /// Signs a checkpoint of the log as it is now, and stores it in the tenant's database and in the catalog.
    /// Refused if the log is not a valid chain or is inconsistent with any earlier checkpoint.
    public func signAuditCheckpoint() async throws -> String {
        try await signCheckpoint(recording: try await admit(.signAuditCheckpoint), detail: "checkpoint").checkpoint.note
    }

    /// Records an entry saying why (`detail`, under `admission`), then signs a checkpoint of the log as it is,
    /// covering that entry; returns the checkpoint with the log it signed (for proofs against exactly that tree).
    func signCheckpoint(
        recording admission: Admission, detail: String, subjectPseudonym: String? = nil
    ) async throws -> (log: StoredAuditLog, checkpoint: StoredCheckpoint) {
        // The entry goes in first, so the checkpoint covers its own creation.
        try await perform(admission) { work in
            work.detail = detail
            work.subjectPseudonym = subjectPseudonym
        }
        let log = try await storedLog()
        let checkpoint = try log.signedCheckpoint(
            by: keys.auditSigningKey(tenant), latest: try await resources.catalog.entry(of: tenant).checkpoint,
            at: now())
        _ = try await storage.unitOfWork { try $0.insertCheckpoint(checkpoint) }
        try await resources.catalog.saveCheckpoint(checkpoint, of: tenant)
        logger.info(
            "signed an audit checkpoint", metadata: ["tenant": "\(tenant)", "size": "\(checkpoint.size)"])
        return (log, checkpoint)
    }

    /// Signs a checkpoint if the log has grown by at least `interval` entries since the last one: the periodic
    /// checkpoint, run when a store closes (and by a long-running server on a timer). Returns the note if it signed.
    @discardableResult
    public func signAuditCheckpointIfDue(interval: UInt64) async throws -> String? {
        let (size, last) = try await storage.read { (try $0.auditSize(), try $0.checkpoints().last?.size ?? 0) }
        guard size >= last + interval else { return nil }
        return try await signAuditCheckpoint()
    }

    /// The inclusion proof of entry `sequence` in the current tree.
    public func auditInclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        try await performOutsideUnit(
            .proveAuditLog, { try await storedLog().inclusionProof(sequence: sequence) },
            outcome: { _ in (1, "inclusion proof") })
    }

    /// The consistency proof from a checkpoint (held by the caller) to the current tree.
    public func auditConsistencyProof(from note: String) async throws -> AuditConsistencyProof {
        try await performOutsideUnit(
            .proveAuditLog, { try await storedLog().consistencyProof(from: note) },
            outcome: { _ in (1, "consistency proof") })
    }

    /// Entries matching every given filter, oldest first. `subject` is matched by its audit pseudonym.
    public func auditLog(_ filter: AuditFilter = AuditFilter()) async throws -> [AuditEntry] {
        try await performOutsideUnit(
            .readAuditLog, subject: filter.subject,
            {
                let pseudonym = try filter.subject.map(auditPseudonym)
                return try await storedLog().entries(matching: filter, pseudonym: pseudonym)
            }, outcome: { (UInt64($0.count), nil) })
    }

    private func verifier() throws -> CheckpointVerifier {
        try CheckpointVerifier(keyName: auditOrigin, publicKey: keys.auditSigningKey(tenant).publicKey)
    }

    private func storedLog() async throws -> StoredAuditLog {
        let (entries, checkpoints) = try await storage.read { try StoredAuditLog.read($0) }
        return StoredAuditLog(origin: auditOrigin, verifier: try verifier(), entries: entries, checkpoints: checkpoints)
    }
}
