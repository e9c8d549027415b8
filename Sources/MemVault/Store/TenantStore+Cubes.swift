import Foundation
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// The tenant's MemCubes: creation, reading, listing and deletion.
extension TenantStore {
    public func createCube(_ new: NewCube) async throws -> MemCube {
        let owner: SubjectID? = if case .subject(let subject) = new.owner { subject } else { nil }
        return try await audited("write", subject: owner) { try await createCubeAudited(new) }
    }

    private func createCubeAudited(_ new: NewCube) async throws -> MemCube {
        guard !new.name.isEmpty else { throw MemVaultError(.invalidArgument, "the cube name is empty") }
        try limits.checkText(new.name, "the cube name", limits.maximumNameBytes)
        for field in [new.provenance.origin, new.provenance.createdBy, new.provenance.importedFrom] {
            try limits.checkText(field, "a provenance field", limits.maximumNameBytes)
        }
        let kind = try Token.validate(new.kind, what: "cube kind")
        let category = try Token.validate(new.defaultCategory, what: "category")
        var subject: SubjectID?
        var pseudonym: String?
        if case .subject(let id) = new.owner {
            subject = id
            pseudonym = try await subjectRecord(id).pseudonym
        }
        let owner = subject.map(DataKeyOwner.subject) ?? .tenant
        let decision = try await require(.write, category: category, subject: subject, cube: nil)
        let id = try CubeID.make()
        let key = try keys.encryptionKey(tenant, owner: owner)
        let created = StoredTime(now: .now)
        let metadata = try Envelope.seal(
            PayloadCodec.encode(CubeMetadata(name: new.name, provenance: new.provenance)), with: key,
            associatedData: cubeBinding(id, pseudonym: pseudonym, keyVersion: key.version))
        let record = CubeRecord(
            id: id, subject: subject, kind: kind, defaultCategory: category, schemaVersion: MemCube.schemaVersion,
            metadata: metadata.bytes, keyVersion: key.version, createdAt: created, updatedAt: created)
        try await storage.insertCube(
            record, audit: draft("write", subject: subject, cube: id, decision: decision, detail: "cube created"))
        resources.cubeContexts.withLock { $0[id] = CubeContext(record: record, pseudonym: pseudonym) }
        return MemCube(
            id: id, subject: subject, name: new.name, kind: kind, defaultCategory: category,
            provenance: new.provenance, schemaVersion: MemCube.schemaVersion, createdAt: created.date,
            updatedAt: created.date)
    }

    public func cube(_ id: CubeID) async throws -> MemCube {
        try await audited("read", cube: id) {
            let context = try await cubeContext(id)
            let decision = try await require(.read, category: nil, subject: context.record.subject, cube: id)
            let cube = try openCube(context)
            try await storage.appendAudit(
                draft(
                    "read", subject: context.record.subject, cube: id, decision: decision, returned: 1,
                    detail: "cube metadata"))
            return cube
        }
    }

    /// Cubes in id order; `owner` nil lists every cube.
    public func cubes(owner: CubeOwner? = nil, after cursor: String? = nil, limit: Int = 100) async throws -> Page<
        MemCube
    > {
        try limits.check(pageSize: limit)
        let after = try cursor.map { try CubeID($0) }
        let filter: SubjectID?? =
            switch owner {
            case .none: .none
            case .some(.tenant): .some(nil)
            case .some(.subject(let subject)): .some(subject)
            }
        if case .subject(let subject) = owner { _ = try await subjectRecord(subject) }
        let records = try await storage.cubes(subject: filter, after: after, limit: limit + 1)
        var cubes: [MemCube] = []
        var withheld = WithheldTally()
        for record in records.prefix(limit) {
            let decision = try await decide(.read, category: nil, subject: record.subject, cube: record.id)
            guard decision.isPermitted else {
                withheld.add(decision)
                continue
            }
            cubes.append(try openCube(try await context(for: record)))
        }
        try await storage.appendAudit(
            draft(
                "read", subject: owner.flatMap { if case .subject(let subject) = $0 { subject } else { nil } },
                decision: withheld.count == records.prefix(limit).count && !records.isEmpty
                    ? withheld.auditDecision : permittedDecision(),
                returned: UInt64(cubes.count), withheld: UInt64(withheld.count),
                detail: "cube list: " + cubes.map(\.id.rawValue).joined(separator: " ")))
        return Page(
            items: cubes, nextCursor: records.count > limit ? records[limit - 1].id.rawValue : nil,
            withheld: withheld.summary)
    }

    /// Deletes the cube, its memories and their history.
    public func deleteCube(_ id: CubeID) async throws {
        try await audited("delete", cube: id) {
            let context = try await cubeContext(id)
            let decision = try await require(.delete, category: nil, subject: context.record.subject, cube: id)
            let audit = try await draft(
                "delete", subject: context.record.subject, cube: id, decision: decision, detail: "cube deleted")
            guard try await storage.deleteCube(id, audit: audit) else { throw notFound(cube: id) }
        }
        _ = resources.cubeContexts.withLock { $0.removeValue(forKey: id) }
    }
}
