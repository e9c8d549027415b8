import Foundation
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// The tenant's subjects: resolution by external id, lookup, and the decrypted external id.
extension TenantStore {
    /// The subject known to the tenant by `externalID`, created (with its own data key) if `create` and new.
    /// The external id is stored only sealed under the subject's key; lookups use its keyed pseudonym, and the
    /// sealed id is checked against the one asked for, so a swapped pseudonym never resolves to someone else.
    public func resolveSubject(externalID: String, create: Bool = true) async throws -> Subject {
        guard !externalID.isEmpty else { throw MemVaultError(.invalidArgument, "the external subject id is empty") }
        try limits.checkText(externalID, "the external subject id", limits.maximumExternalIDBytes)
        let admission = try await admit(.resolveSubject)
        let pseudonym = try resources.pseudonymizer.pseudonym(forExternalID: externalID)
        do {
            return try await perform(admission) { [self] work -> Subject in
                // Not found: nothing is recorded here; a creation is recorded as such.
                guard let record = try work.transaction.subject(pseudonym: pseudonym) else { throw SubjectMissing() }
                if let confinement, record.id != confinement { throw notFoundExternalID() }
                try verify(record, externalID: externalID)
                work.subject = record.id
                work.returned = 1
                work.detail = "resolved"
                return Subject(record)
            }
        } catch is SubjectMissing {
            // Confined to one subject, a store makes no others.
            guard create, confinement == nil else { throw notFoundExternalID() }
            return try await createSubject(externalID: externalID, pseudonym: pseudonym, admission: admission)
        }
    }

    private struct SubjectMissing: Error {}

    /// Never echoes the external id: it is personal data.
    private func notFoundExternalID() -> MemVaultError {
        MemVaultError(.notFound, "tenant '\(tenant)' has no subject with that external id")
    }

    private func createSubject(externalID: String, pseudonym: String, admission: Admission) async throws -> Subject {
        let record = try newSubject(externalID: externalID, pseudonym: pseudonym)
        let id = record.id
        let subject = try await perform(admission) { [self] work -> Subject in
            if let winner = try work.transaction.subject(pseudonym: pseudonym) {
                // Another request created the same subject first: use theirs.
                try verify(winner, externalID: externalID)
                work.subject = winner.id
                work.returned = 1
                work.detail = "resolved"
                return Subject(winner)
            }
            try work.transaction.insertSubject(record)
            work.subject = id
            work.detail = "created"
            return Subject(record)
        }
        if subject.id != id {
            // The key made for the subject that lost the race protects nothing.
            _ = try? keys.destroyDataKeys(tenant, owner: .subject(id))
        }
        return subject
    }

    /// A new subject's record with its own data key (made here, in the key store): the caller inserts it, or
    /// destroys the key if it does not.
    func newSubject(externalID: String, pseudonym: String) throws -> SubjectRecord {
        let id = try SubjectID.random()
        try keys.createDataKey(tenant, owner: .subject(id))
        let key = try keys.encryptionKey(tenant, owner: .subject(id))
        let unsealed = SubjectRecord(
            id: id, pseudonym: pseudonym, externalID: [], keyVersion: key.version, createdAt: StoredTime(now: now()))
        return SubjectRecord(
            id: id, pseudonym: pseudonym, externalID: try sealExternalID(externalID, for: unsealed, key: key),
            keyVersion: key.version, createdAt: unsealed.createdAt)
    }

    /// The subject's sealed external id must be the one that was asked for.
    func verify(_ record: SubjectRecord, externalID: String) throws {
        guard ConstantTime.equals(Array(try openExternalID(record).utf8), Array(externalID.utf8)) else {
            throw MemVaultError(
                .integrity,
                "a subject record of tenant '\(tenant)' does not belong to the pseudonym it is filed under: "
                    + "it was modified outside MemVault; not obeyed")
        }
        resources.subjects.withLock { $0.insert(record, forKey: record.id) }
    }

    public func subject(_ id: SubjectID) async throws -> Subject {
        try await perform(.readSubject, subject: id) { [self] work in
            let record = try verifiedSubject(id, in: work.transaction)
            work.returned = 1
            return Subject(record)
        }
    }

    /// The tenant's external id for a subject, decrypted: only for callers the policy lets read the subject.
    public func externalID(of id: SubjectID) async throws -> String {
        try await perform(.readExternalID, subject: id) { [self] work in
            let record = try verifiedSubject(id, in: work.transaction)
            try work.require(.read, subject: id, cube: nil)
            work.returned = 1
            work.detail = "external id"
            return try openExternalID(record)
        }
    }
}
