import Foundation
import MemVaultCrypto
public import MemVaultPolicy

/// Consent records per subject and purpose: a sealed history, chained per purpose, and a sealed current state
/// that must be the newest change. A flipped state, a deleted or reordered change is caught, never obeyed.
extension TenantStore {
    /// Records the subject's consent state for a purpose of the tenant's policy, with optional evidence (sealed
    /// under the subject's key). A withdrawal takes effect for the very next request.
    @discardableResult
    public func setConsent(
        _ state: ConsentState, subject: SubjectID, purpose consentPurpose: String, evidence: String? = nil
    ) async throws -> ConsentRecord {
        let policy = try engine().policy
        guard policy.purposes[consentPurpose] != nil else {
            throw MemVaultError(
                .invalidArgument,
                "unknown purpose '\(consentPurpose.prefix(64))' for consent; the policy '\(policy.name)' declares: "
                    + policy.purposes.keys.sorted().joined(separator: ", "))
        }
        try limits.checkText(evidence, "consent evidence", limits.maximumDetailBytes)
        let admission = try await admit(.recordConsent, subject: subject)
        let id = try SortableIdentifier.make(prefix: "cns_")
        let sealed: Envelope? = try evidence.map { evidence in
            let key = try keys.encryptionKey(tenant, owner: .subject(subject))
            return try Envelope.seal(
                Array(evidence.utf8), with: key,
                associatedData: Bindings.consentEvidence(tenant, subject: subject, change: id, keyVersion: key.version))
        }
        let changedAt = StoredTime(now: now())
        let actor = context.actor
        try await perform(admission, subject: subject) { [self] work in
            _ = try verifiedSubject(subject, in: work.transaction)
            // The state in force, checked, is what the new change follows.
            _ = try work.verifiedConsentState(subject: subject, purpose: consentPurpose)
            let previous = try work.transaction.consent(subject: subject, purpose: consentPurpose).latestChange
            let unsealedChange = ConsentChangeRecord(
                id: id, subject: subject, purpose: consentPurpose, state: state, changedAt: changedAt, actor: actor,
                evidence: sealed?.bytes, keyVersion: sealed?.keyVersion, previous: previous, seal: [])
            let change = ConsentChangeRecord(
                id: id, subject: subject, purpose: consentPurpose, state: state, changedAt: changedAt, actor: actor,
                evidence: sealed?.bytes, keyVersion: sealed?.keyVersion, previous: previous,
                seal: try resources.integrity.seal(Bindings.consentChange(tenant, unsealedChange)))
            let unsealedCurrent = ConsentStateRecord(
                subject: subject, purpose: consentPurpose, state: state, changedAt: changedAt, changeID: id, seal: [])
            let current = ConsentStateRecord(
                subject: subject, purpose: consentPurpose, state: state, changedAt: changedAt, changeID: id,
                seal: try resources.integrity.seal(Bindings.consentState(tenant, unsealedCurrent)))
            try work.transaction.recordConsent(change, current: current)
            work.detail = "\(consentPurpose): \(state.rawValue)"
        }
        return ConsentRecord(
            subject: subject, purpose: consentPurpose, state: state, changedAt: changedAt.date, actor: actor,
            evidence: evidence)
    }

    /// Every consent change of the subject, oldest first; the last one per purpose is in force.
    public func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord] {
        try await perform(.readConsent, subject: subject) { [self] work in
            _ = try verifiedSubject(subject, in: work.transaction)
            let history = try work.transaction.consentHistory(subject: subject)
            try verifyChains(history, of: subject, in: work)
            work.returned = UInt64(history.count)
            work.detail = "history"
            return try history.map { change in
                var evidence: String?
                if let sealed = change.evidence, let version = change.keyVersion {
                    evidence = String(
                        decoding: try openSealed(
                            sealed, owner: .subject(subject), keyVersion: version,
                            associatedData: Bindings.consentEvidence(
                                tenant, subject: subject, change: change.id, keyVersion: version),
                            what: "consent evidence \(change.id)"),
                        as: UTF8.self)
                }
                return ConsentRecord(
                    subject: subject, purpose: change.purpose, state: change.state, changedAt: change.changedAt.date,
                    actor: change.actor, evidence: evidence)
            }
        }
    }

    /// Each change is sealed, follows the previous change for its purpose, and the newest one per purpose is the
    /// state in force.
    private func verifyChains(_ history: [ConsentChangeRecord], of subject: SubjectID, in work: TenantWork) throws {
        var last: [String: String] = [:]
        for change in history {
            try resources.integrity.verify(
                change.seal, Bindings.consentChange(tenant, change), "consent change \(change.id)")
            guard change.subject == subject, change.previous == last[change.purpose] else {
                throw MemVaultError(
                    .integrity,
                    "the consent history for purpose '\(change.purpose)' has a change missing or out of place; "
                        + "not obeyed")
            }
            last[change.purpose] = change.id
        }
        for purpose in last.keys.sorted() {
            _ = try work.verifiedConsentState(subject: subject, purpose: purpose)
        }
    }
}
