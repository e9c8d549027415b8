import Foundation
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// The tenant's MemCubes: creation, reading, listing and deletion.
extension TenantStore {
    public func createCube(_ new: NewCube) async throws -> MemCube {
        guard !new.name.isEmpty else { throw MemVaultError(.invalidArgument, "the cube name is empty") }
        try limits.checkText(new.name, "the cube name", limits.maximumNameBytes)
        for field in [new.provenance.origin, new.provenance.createdBy, new.provenance.importedFrom] {
            try limits.checkText(field, "a provenance field", limits.maximumNameBytes)
        }
        if let dimension = new.embeddingDimension, !(1...limits.maximumEmbeddingDimension).contains(dimension) {
            throw MemVaultError(
                .invalidArgument,
                "embedding dimension \(dimension); use 1 to \(limits.maximumEmbeddingDimension)")
        }
        if let embedder = new.embedder {
            try EmbedderName.validate(embedder)
            guard new.embeddingDimension != nil else {
                throw MemVaultError(
                    .invalidArgument, "a cube that names an embedder needs the dimension of its embeddings")
            }
        }
        let kind = try Token.validate(new.kind, what: "cube kind")
        let category = try Token.validate(new.defaultCategory, what: "category")
        let subject: SubjectID? = if case .subject(let subject) = new.owner { subject } else { nil }
        let admission = try await admit(.createCube, subject: subject)
        let ownerPseudonym = try await storage.read { [self] reader -> String? in try pseudonym(of: subject, in: reader)
        }
        let key = try keys.encryptionKey(tenant, owner: subject.map(DataKeyOwner.subject) ?? .tenant)
        let id = try CubeID.make()
        let created = StoredTime(now: now())
        let record = try sealedCube(
            id: id, subject: subject, kind: kind, defaultCategory: category,
            metadata: CubeMetadata(
                name: new.name, provenance: new.provenance, analysis: new.analysis,
                embeddingDimension: new.embeddingDimension, embedder: new.embedder),
            key: key, pseudonym: ownerPseudonym, created: created)
        try await perform(admission, subject: subject) { work in
            if let subject { _ = try self.verifiedSubject(subject, in: work.transaction) }
            // Creating a cube is processing for the purpose, in the cube's default category.
            try work.require(.write, subject: subject, cube: nil, category: category)
            try work.transaction.insertCube(record)
            work.cube = id
            work.detail = "cube created"
        }
        resources.cubeContexts.withLock {
            $0.insert(
                CubeContext(
                    record: record, pseudonym: ownerPseudonym, analysis: new.analysis,
                    embeddingDimension: new.embeddingDimension, embedder: new.embedder), forKey: id)
        }
        return MemCube(
            id: id, subject: subject, name: new.name, kind: kind, defaultCategory: category,
            provenance: new.provenance, analysis: new.analysis, embeddingDimension: new.embeddingDimension,
            embedder: new.embedder,
            schemaVersion: MemCube.schemaVersion,
            createdAt: created.date,
            updatedAt: created.date)
    }

    /// A new cube's record, its metadata sealed and bound to every clear field.
    func sealedCube(
        id: CubeID, subject: SubjectID?, kind: String, defaultCategory: String, metadata: CubeMetadata,
        key: EnvelopeKey, pseudonym: String?, created: StoredTime
    ) throws -> CubeRecord {
        let unsealed = CubeRecord(
            id: id, subject: subject, kind: kind, defaultCategory: defaultCategory,
            schemaVersion: MemCube.schemaVersion, metadata: [], keyVersion: key.version, createdAt: created,
            updatedAt: created)
        return CubeRecord(
            id: id, subject: subject, kind: kind, defaultCategory: defaultCategory,
            schemaVersion: MemCube.schemaVersion,
            metadata: try Envelope.seal(
                PayloadCodec.encode(metadata), with: key,
                associatedData: Bindings.cube(tenant, pseudonym: pseudonym, unsealed)
            ).bytes,
            keyVersion: key.version, createdAt: created, updatedAt: created)
    }

    public func cube(_ id: CubeID) async throws -> MemCube {
        try await perform(.readCube, cube: id) { [self] work in
            let context = try cubeContext(id, in: work.transaction)
            work.subject = context.record.subject
            try work.require(.read, subject: context.record.subject, cube: id)
            work.returned = 1
            work.detail = "cube metadata"
            return try openCube(context)
        }
    }

    /// Cubes in id order; `owner` nil lists every cube.
    public func cubes(owner: CubeOwner? = nil, after cursor: String? = nil, limit: Int = 100) async throws -> Page<
        MemCube
    > {
        try limits.check(pageSize: limit)
        let after = try cursor.map { try CubeID($0) }
        // Confined: every cube is the subject's; the tenant's shared ones are none of its business.
        if confinement != nil, owner == .tenant { return Page(items: [], nextCursor: nil) }
        let owner = confinement.map { owner ?? .subject($0) } ?? owner
        let filter: CubeFilter =
            switch owner {
            case .none: .all
            case .some(.tenant): .shared
            case .some(.subject(let subject)): .subject(subject)
            }
        let ownerSubject: SubjectID? = if case .subject(let subject) = owner { subject } else { nil }
        return try await perform(.listCubes, subject: ownerSubject) { [self] work in
            if let ownerSubject {
                // One subject's cubes: the scope is decided first, as for memory lists.
                _ = try verifiedSubject(ownerSubject, in: work.transaction)
                try work.require(.read, subject: ownerSubject, cube: nil)
            }
            let records = try work.transaction.cubes(filter, after: after, limit: limit + 1)
            var cubes: [MemCube] = []
            var withheld = WithheldTally()
            for record in records.prefix(limit) {
                let cube = try openCube(try verifiedContext(for: record, in: work.transaction))
                let decision = work.decide(
                    .read, category: nil, governance: try work.governance(subject: record.subject, cubes: [record.id]))
                guard decision.isPermitted else {
                    withheld.add(decision)
                    continue
                }
                cubes.append(cube)
            }
            if cubes.isEmpty, withheld.count > 0 { work.decision = withheld.auditDecision }
            work.returned = UInt64(cubes.count)
            work.withheld = UInt64(withheld.count)
            work.detail = "cube list: " + cubes.map(\.id.rawValue).joined(separator: " ")
            return Page(
                items: cubes, nextCursor: records.count > limit ? records[limit - 1].id.rawValue : nil,
                withheld: withheld.summary)
        }
    }

    /// Deletes the cube, its memories and their history. Every memory is verified first: one moved in from
    /// elsewhere (to be deleted in passing) fails its binding, and the deletion is refused.
    public func deleteCube(_ id: CubeID) async throws {
        try await perform(.deleteCube, cube: id) { [self] work in
            let context = try cubeContext(id, in: work.transaction)
            work.subject = context.record.subject
            try requireWritable(context)
            try work.require(.delete, subject: context.record.subject, cube: id)
            var after: MemoryID?
            while true {
                let page = try work.transaction.memories(.cube(id), statuses: nil, after: after, limit: 500)
                for record in page {
                    for version in try work.transaction.history(record.id) {
                        _ = try openPayload(version.record, current: version.isCurrent, in: work.transaction)
                    }
                }
                guard page.count == 500 else { break }
                after = page.last?.id
            }
            guard try work.transaction.deleteCube(id) else { throw notFound(cube: id) }
            work.detail = "cube deleted"
        }
        resources.cubeContexts.withLock { $0.removeValue(forKey: id) }
        resources.vectorSets.withLock { $0.removeValue(forKey: id) }
        try await storage.purgeDeleted()
    }
}
