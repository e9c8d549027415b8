import Foundation
import MemVaultCrypto
public import MemVaultPolicy

/// Consent records per subject and purpose.
extension TenantStore {
    /// Records the subject's consent state for a purpose of the tenant's policy, with optional evidence (sealed
    /// under the subject's key). A withdrawal takes effect for the very next request.
    @discardableResult
    public func setConsent(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String? = nil
    ) async throws -> ConsentRecord {
        try await audited("consent", subject: subject) {
            try await setConsentAudited(state, subject: subject, purpose: purpose, evidence: evidence)
        }
    }

    private func setConsentAudited(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String?
    ) async throws -> ConsentRecord {
        let decision = try requireRole([.application, .dataProtectionOfficer], "record consent")
        let engine = try engine()
        guard engine.policy.purposes[purpose] != nil else {
            throw MemVaultError(
                .invalidArgument,
                "unknown purpose '\(purpose.prefix(64))'; the policy '\(engine.policy.name)' declares: "
                    + engine.policy.purposes.keys.sorted().joined(separator: ", "))
        }
        try limits.checkText(evidence, "consent evidence", limits.maximumDetailBytes)
        _ = try await subjectRecord(subject)
        let id = try SortableIdentifier.make(prefix: "cns_")
        var sealed: Envelope?
        if let evidence {
            let key = try keys.encryptionKey(tenant, owner: .subject(subject))
            sealed = try Envelope.seal(
                Array(evidence.utf8), with: key,
                associatedData: evidenceBinding(subject: subject, change: id, keyVersion: key.version))
        }
        let record = ConsentChangeRecord(
            id: id, subject: subject, purpose: purpose, state: state.rawValue, changedAt: StoredTime(now: .now),
            actor: context.actor, evidence: sealed?.bytes, keyVersion: sealed?.keyVersion)
        try await storage.recordConsent(
            record,
            audit: draft("consent", subject: subject, decision: decision, detail: "\(purpose): \(state.rawValue)"))
        return ConsentRecord(
            subject: subject, purpose: purpose, state: state, changedAt: record.changedAt.date, actor: context.actor,
            evidence: evidence)
    }

    /// Every consent change of the subject, oldest first; the last one per purpose is in force.
    public func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord] {
        try await audited("consent", subject: subject) { try await consentHistoryAudited(of: subject) }
    }

    private func consentHistoryAudited(of subject: SubjectID) async throws -> [ConsentRecord] {
        let decision = try requireRole([.application, .dataProtectionOfficer], "read consent records")
        _ = try await subjectRecord(subject)
        let history = try await storage.consentHistory(subject: subject)
        try await storage.appendAudit(
            draft("consent", subject: subject, decision: decision, returned: UInt64(history.count), detail: "history"))
        return try history.map { change in
            guard let state = ConsentState(rawValue: change.state) else {
                throw MemVaultError(.integrity, "a consent record of subject \(subject) has an unknown state")
            }
            var evidence: String?
            if let sealed = change.evidence, let version = change.keyVersion {
                evidence = String(
                    decoding: try openSealed(
                        sealed, owner: .subject(subject), keyVersion: version,
                        associatedData: evidenceBinding(subject: subject, change: change.id, keyVersion: version),
                        what: "consent evidence \(change.id)"),
                    as: UTF8.self)
            }
            return ConsentRecord(
                subject: subject, purpose: change.purpose, state: state, changedAt: change.changedAt.date,
                actor: change.actor, evidence: evidence)
        }
    }
}
