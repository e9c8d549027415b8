import Foundation
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// The tenant's subjects: resolution by external id, lookup, and the decrypted external id.
extension TenantStore {
    /// The subject known to the tenant by `externalID`, created (with its own data key) if `create` and new.
    /// The external id is stored only sealed under the subject's key; lookups use its keyed pseudonym.
    public func resolveSubject(externalID: String, create: Bool = true) async throws -> Subject {
        try await audited("subject") { try await resolveSubjectAudited(externalID: externalID, create: create) }
    }

    private func resolveSubjectAudited(externalID: String, create: Bool) async throws -> Subject {
        let decision = try requireRole([.application, .dataProtectionOfficer, .administrator], "resolve subjects")
        guard !externalID.isEmpty else { throw MemVaultError(.invalidArgument, "the external subject id is empty") }
        try limits.checkText(externalID, "the external subject id", limits.maximumExternalIDBytes)
        let pseudonym = try pseudonymizer.pseudonym(forExternalID: externalID)
        if let record = try await storage.subject(pseudonym: pseudonym) {
            try await storage.appendAudit(
                draft("subject", subject: record.id, decision: decision, returned: 1, detail: "resolved"))
            return Subject(record)
        }
        guard create else {
            // Never echo the external id: it is personal data.
            throw MemVaultError(.notFound, "tenant '\(tenant)' has no subject with that external id")
        }
        let id = try SubjectID.random()
        try keys.createDataKey(tenant, owner: .subject(id))
        let key = try keys.encryptionKey(tenant, owner: .subject(id))
        let record = SubjectRecord(
            id: id, pseudonym: pseudonym,
            externalID: try Envelope.seal(
                Array(externalID.utf8), with: key, associatedData: subjectBinding(id, keyVersion: key.version)
            ).bytes,
            keyVersion: key.version, createdAt: StoredTime(now: .now))
        do {
            try await storage.insertSubject(
                record, audit: draft("subject", subject: id, decision: decision, detail: "created"))
        } catch let error as MemVaultError where error.code == .conflict {
            // Another request created the same subject first: drop this key and use theirs.
            _ = try? keys.destroyDataKeys(tenant, owner: .subject(id))
            if let winner = try await storage.subject(pseudonym: pseudonym) {
                try await storage.appendAudit(
                    draft("subject", subject: winner.id, decision: decision, returned: 1, detail: "resolved"))
                return Subject(winner)
            }
            throw error
        }
        resources.subjectPseudonyms.withLock { $0[id] = pseudonym }
        return Subject(record)
    }

    public func subject(_ id: SubjectID) async throws -> Subject {
        try await audited("subject", subject: id) {
            let decision = try requireRole([.application, .dataProtectionOfficer, .administrator], "look up subjects")
            let record = try await subjectRecord(id)
            try await storage.appendAudit(draft("subject", subject: id, decision: decision, returned: 1))
            return Subject(record)
        }
    }

    /// The tenant's external id for a subject, decrypted: only for callers entitled to see it.
    public func externalID(of id: SubjectID) async throws -> String {
        try await audited("read", subject: id) { try await externalIDAudited(of: id) }
    }

    private func externalIDAudited(of id: SubjectID) async throws -> String {
        let record = try await subjectRecord(id)
        let decision = try await require(.read, category: nil, subject: id, cube: nil)
        try await storage.appendAudit(
            draft("read", subject: id, decision: decision, returned: 1, detail: "external id"))
        let plaintext = try openSealed(
            record.externalID, owner: .subject(id), keyVersion: record.keyVersion,
            associatedData: subjectBinding(id, keyVersion: record.keyVersion), what: "subject \(id)")
        return String(decoding: plaintext, as: UTF8.self)
    }
}
