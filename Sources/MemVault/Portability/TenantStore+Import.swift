import Foundation
import MemVaultAudit
import MemVaultCrypto
public import MemVaultPolicy
import Synchronization

/// What an import stored.
public struct ImportedCube: Sendable, Equatable, Codable {
    public let cube: MemCube
    public let memories: Int
    public let versions: Int
    public let embeddings: Int
    /// The subject the cube now belongs to (nil: shared), and whether the import created it.
    public let subject: SubjectID?
    public let createdSubject: Bool
}

extension TenantStore {
    /// Stores a cube that came from elsewhere as a new cube: see `importCubes`.
    public func importCube(_ cube: PortableCube, as transfer: Transfer, contentHash: String) async throws
        -> ImportedCube
    {
        try await importCubes([(cube, contentHash)], as: transfer)[0]
    }

    /// Stores cubes that came from elsewhere (a bundle's, or one per user of another platform's file) as new cubes,
    /// all in one unit of work: every cube with every memory, or nothing. Each cube is recorded as its own entry
    /// (its subject, the transfer, its counts and `sha256:<content hash>`). A cube's owning subject is found by its
    /// external id, or created. Memories of a MemVault format keep their ids (a second import of the same bundle is
    /// a conflict); others get new ones. Every version keeps its fields, times and lineage; embeddings are sealed as
    /// vectors of the cube.
    ///
    /// Decided before anything is stored: the policy's `migration` section must allow the format and source, then
    /// every version of every memory is decided as a `migrate` into the tenant (its category must be one the policy
    /// declares, its retention not passed, the purpose allowed); one denial refuses the whole import.
    public func importCubes(
        _ cubes: [(cube: PortableCube, contentHash: String)], as transfer: Transfer
    ) async throws -> [ImportedCube] {
        try await importCubes(cubes, as: transfer, operation: .importCube, module: nil)
    }

    /// What a module's installation changes besides adding its cube.
    enum ModuleChange: Sendable {
        /// No module of the name may be installed.
        case install
        /// A module of the name must be installed, at another version: it is removed in the same unit of work.
        case upgrade
    }

    /// The import, for cubes or (with `module`) for one module being installed or upgraded.
    func importCubes(
        _ cubes: [(cube: PortableCube, contentHash: String)], as transfer: Transfer, operation: StoreOperation,
        module: (identity: ModuleIdentity, change: ModuleChange)?
    ) async throws -> [ImportedCube] {
        guard transfer.direction == .inbound else {
            throw MemVaultError(.invalidArgument, "an import is an inbound transfer")
        }
        guard StoreVocabulary.transferFormats.contains(transfer.format),
            StoreVocabulary.platforms.contains(transfer.platform)
        else { throw MemVaultError(.invalidArgument, "unknown transfer \(transfer)") }
        guard !cubes.isEmpty else { throw MemVaultError(.invalidArgument, "no cube to import") }
        // Modules get fresh ids: an upgrade's memories sit beside the old version's until the switch.
        let keepIDs = transfer.format == "memvault-bundle"
        for (index, item) in cubes.enumerated() {
            do {
                try validate(item.cube, keepingIDs: keepIDs)
            } catch let error as MemVaultError where cubes.count > 1 {
                throw MemVaultError(error.code, "cube \(index + 1) (\(item.cube.name.prefix(64))): \(error.message)")
            }
        }
        let admission = try await admit(operation)
        // One subject per external id, made once even if several cubes name it.
        var subjects: [String: (record: SubjectRecord, isNew: Bool)] = [:]
        do {
            for externalID in Set(cubes.compactMap(\.cube.subjectExternalID)).sorted() {
                subjects[externalID] = try await importedSubject(externalID)
            }
            let prepared = try cubes.map { item in
                try prepareImport(
                    item.cube, subject: item.cube.subjectExternalID.flatMap { subjects[$0] }, keepIDs: keepIDs,
                    module: module?.identity)
            }
            let newSubjects = subjects.values.filter(\.isNew).map(\.record)
            let existingSubjects = subjects.values.filter { !$0.isNew }.map(\.record.id)
            let imported = try await perform(admission) { [self] work in
                if let denial = work.engine.transferDenial(transfer) { try work.require(denial) }
                for subject in newSubjects { try work.transaction.insertSubject(subject) }
                for subject in existingSubjects { _ = try verifiedSubject(subject, in: work.transaction) }
                let replaced = try module.flatMap { try moduleToReplace($0.identity, $0.change, in: work) }
                var results: [ImportedCube] = []
                for (index, (item, cube)) in zip(cubes, prepared).enumerated() {
                    let subject = cube.context.record.subject
                    work.subject = subject
                    work.cube = nil
                    let decision = try decideImport(cube, in: work)
                    try checkQuotas(adding: cube.currents.count, bytes: cube.bytes, in: work.transaction)
                    try work.transaction.insertCube(cube.context.record)
                    do {
                        try work.transaction.insertMemories(cube.lineages.map { $0[0].current.record })
                    } catch let error as MemVaultError where error.code == .conflict {
                        throw MemVaultError(
                            .conflict,
                            "a memory of this cube already exists in tenant '\(tenant)': it was imported before; "
                                + "nothing was imported")
                    }
                    for lineage in cube.lineages {
                        for (previous, next) in zip(lineage, lineage.dropFirst()) {
                            guard
                                try work.transaction.replaceCurrent(
                                    with: next.current.record, superseded: previous.superseded!)
                            else { throw MemVaultError(.conflict, "a memory changed during its import") }
                        }
                    }
                    let id = cube.context.record.id
                    if item.cube.embedder != nil {
                        try work.transaction.countAwaitingEmbedding(cube.currents.count, in: id)
                    }
                    try work.transaction.indexAdded(cube.documents)
                    try work.transaction.storeVectors(cube.vectors)
                    // An upgrade switches in this unit: the old version goes as the new one arrives.
                    if let replaced {
                        guard try work.transaction.deleteCube(replaced.record.id) else {
                            throw MemVaultError(.conflict, "the installed version changed during the upgrade")
                        }
                    }
                    let moduleText = module.map {
                        "module \($0.identity.name) \($0.identity.version)"
                            + (replaced?.module.map { " replacing \($0.version) (\(replaced!.record.id))" } ?? "")
                            + ", "
                    }
                    let detail =
                        "\(moduleText ?? "")\(transfer), \(cube.currents.count) memories, "
                        + "\(item.cube.versionCount) versions, sha256:\(item.contentHash)"
                    let returned = UInt64(cube.currents.count)
                    if index < cubes.count - 1 {
                        // Each cube its own entry; the unit's own entry (below, by `perform`) is the last cube's.
                        try work.transaction.appendAudit(
                            try entry(
                                operation: .importCube, purpose: work.purpose, subject: subject, cube: id,
                                memories: [], decision: decision, returned: returned, withheld: 0, detail: detail,
                                at: work.now))
                    } else {
                        work.cube = id
                        work.decision = decision
                        work.returned = returned
                        work.detail = detail
                    }
                    results.append(
                        ImportedCube(
                            cube: try openCube(cube.context), memories: cube.currents.count,
                            versions: item.cube.versionCount, embeddings: cube.vectors.count, subject: subject,
                            createdSubject: subject.map { id in newSubjects.contains { $0.id == id } } ?? false))
                }
                return results
            }
            for cube in prepared {
                resources.cubeContexts.withLock { $0.insert(cube.context, forKey: cube.context.record.id) }
            }
            if module?.change == .upgrade {
                // The old version's cube is gone: leave nothing of it in the files.
                try await storage.purgeDeleted()
            }
            return imported
        } catch {
            // Subjects made for this import protect nothing once it is refused.
            for subject in subjects.values where subject.isNew {
                _ = try? keys.destroyDataKeys(tenant, owner: .subject(subject.record.id))
            }
            throw error
        }
    }

    /// A cube sealed and indexed for its import, before its unit of work.
    private struct PreparedImport {
        let context: CubeContext
        let lineages: [[SealedVersion]]
        var currents: [(record: MemoryRecord, payload: MemoryPayload)] { lineages.map { $0.last!.current } }
        let documents: [IndexedDocument]
        let vectors: [VectorRecord]
        let bytes: Int
    }

    private func prepareImport(
        _ cube: PortableCube, subject: (record: SubjectRecord, isNew: Bool)?, keepIDs: Bool, module: ModuleIdentity?
    ) throws -> PreparedImport {
        let owner = subject.map { DataKeyOwner.subject($0.record.id) } ?? .tenant
        let key = try keys.encryptionKey(
            tenant, owner: owner, encryptions: UInt64(2 * cube.versionCount + cube.embeddingCount + 1))
        let record = try sealedCube(
            id: try CubeID.make(), subject: subject?.record.id, kind: cube.kind, defaultCategory: cube.defaultCategory,
            metadata: CubeMetadata(
                name: cube.name, provenance: cube.provenance, analysis: cube.analysis,
                embeddingDimension: cube.embeddingDimension, embedder: cube.embedder, module: module),
            key: key, pseudonym: subject?.record.pseudonym, created: StoredTime(now: cube.createdAt))
        let context = CubeContext(
            record: record, pseudonym: subject?.record.pseudonym, analysis: cube.analysis,
            embeddingDimension: cube.embeddingDimension, embedder: cube.embedder, module: module)
        let ids =
            keepIDs
            ? try cube.memories.map { try MemoryID($0.id) }
            : try MemoryID.make(count: cube.memories.count, at: now())
        let lineages = try zip(cube.memories, ids).map { memory, id in
            try sealedLineage(memory, id: id, in: context, key: key)
        }
        let currents = lineages.map { $0.last!.current }
        return PreparedImport(
            context: context, lineages: lineages,
            documents: try indexedDocuments(currents.map(\.record), currents.map(\.payload), in: context),
            vectors: try sealedVectors(currents.map(\.record), cube.memories.map(\.embedding), in: context, key: key),
            bytes: currents.reduce(0) { $0 + $1.record.fields.contentSize })
    }

    /// Every version is decided, not only the current one: the history arrives too, and a category the policy does
    /// not declare has no place in it. The first denial refuses the import.
    private func decideImport(_ cube: PreparedImport, in work: TenantWork) throws -> AuditDecision {
        let subject = cube.context.record.subject
        let governance = try work.governance(subject: subject, cubes: [])
        var rules: Set<String> = []
        for (index, lineage) in cube.lineages.enumerated() {
            for version in lineage {
                let record = version.current.record
                let decision = work.decide(.migrate, record, governance: governance)
                guard decision.isPermitted else {
                    throw Denial(
                        decision: AuditDecision(decision), subject: subject, cube: nil,
                        message: "denied by policy '\(work.engine.policy.name)' "
                            + "(\(decision.ruleIDs.joined(separator: ", "))) for version \(record.version) of "
                            + "memory \(index + 1) of the cube (category '\(record.fields.category)'): "
                            + "\(decision.reason); nothing was imported")
                }
                rules.formUnion(decision.ruleIDs)
            }
        }
        return AuditDecision(effect: .permit, ruleIDs: rules.sorted(), policyRevision: work.engine.revision)
    }

    /// The subject that will own the imported cube: found by its external id, or a new record (with its data key)
    /// for the import's unit of work to insert.
    private func importedSubject(_ externalID: String?) async throws -> (record: SubjectRecord, isNew: Bool)? {
        guard let externalID else { return nil }
        let pseudonym = try resources.pseudonymizer.pseudonym(forExternalID: externalID)
        if let existing = try await storage.read({ try $0.subject(pseudonym: pseudonym) }) {
            if let confinement, existing.id != confinement {
                throw MemVaultError(.notFound, "tenant '\(tenant)' has no subject with that external id")
            }
            try verify(existing, externalID: externalID)
            return (existing, false)
        }
        guard confinement == nil else {
            throw MemVaultError(.notFound, "tenant '\(tenant)' has no subject with that external id")
        }
        return (try newSubject(externalID: externalID, pseudonym: pseudonym), true)
    }

    fileprivate struct SealedVersion {
        /// Sealed as the current version.
        let current: (record: MemoryRecord, payload: MemoryPayload)
        /// Sealed for the history (nil for the last version, which stays current).
        let superseded: MemoryRecord?
    }

    /// Every version of a memory sealed for its place: each as current (the import moves the lineage through the
    /// store's own replace, so the history is exactly what updates would have left), and all but the last again as
    /// superseded.
    private func sealedLineage(
        _ memory: PortableMemory, id: MemoryID, in context: CubeContext, key: EnvelopeKey
    ) throws -> [SealedVersion] {
        try memory.versions.enumerated().map { index, version in
            let fields = MemoryFields(
                status: version.status, type: version.type, category: version.category, source: version.source,
                contentKind: version.content.kind, contentSize: version.content.byteCount,
                occurredAt: version.occurredAt.map(StoredTime.init(now:)),
                validFrom: version.validFrom.map(StoredTime.init(now:)),
                validUntil: version.validUntil.map(StoredTime.init(now:)),
                createdAt: StoredTime(now: version.createdAt), updatedAt: StoredTime(now: version.updatedAt))
            let payload = MemoryPayload(
                content: version.content, tags: version.tags, sourceDetail: version.sourceDetail,
                confidence: version.confidence, attributes: version.attributes)
            let unsealed = MemoryRecord(
                id: id, cube: context.record.id, subject: context.record.subject, version: index + 1,
                supersedes: index == 0 ? nil : index, fields: fields, keyVersion: key.version, payload: [])
            let isLast = index == memory.versions.count - 1
            return SealedVersion(
                current: (
                    try sealed(unsealed, payload, key: key, pseudonym: context.pseudonym, current: true), payload
                ),
                superseded: isLast
                    ? nil : try sealed(unsealed, payload, key: key, pseudonym: context.pseudonym, current: false))
        }
    }

    /// Everything the store would refuse in a memory it is given, refused before anything is sealed, with the
    /// memory's place in the cube named.
    private func validate(_ cube: PortableCube, keepingIDs: Bool) throws {
        guard cube.formatVersion == PortableCube.formatVersion else {
            throw MemVaultError(
                .invalidArgument,
                "the cube is in portable format \(cube.formatVersion); this MemVault reads format "
                    + "\(PortableCube.formatVersion)")
        }
        guard !cube.name.isEmpty else { throw MemVaultError(.invalidArgument, "the cube name is empty") }
        try limits.checkText(cube.name, "the cube name", limits.maximumNameBytes)
        for field in [cube.provenance.origin, cube.provenance.createdBy, cube.provenance.importedFrom] {
            try limits.checkText(field, "a provenance field", limits.maximumNameBytes)
        }
        _ = try Token.validate(cube.kind, what: "cube kind")
        _ = try Token.validate(cube.defaultCategory, what: "category")
        if let externalID = cube.subjectExternalID {
            guard !externalID.isEmpty else { throw MemVaultError(.invalidArgument, "the external subject id is empty") }
            try limits.checkText(externalID, "the external subject id", limits.maximumExternalIDBytes)
        }
        if let dimension = cube.embeddingDimension, !(1...limits.maximumEmbeddingDimension).contains(dimension) {
            throw MemVaultError(
                .invalidArgument, "embedding dimension \(dimension); use 1 to \(limits.maximumEmbeddingDimension)")
        }
        if let embedder = cube.embedder {
            try EmbedderName.validate(embedder)
            guard cube.embeddingDimension != nil else {
                throw MemVaultError(
                    .invalidArgument, "a cube that names an embedder needs the dimension of its embeddings")
            }
        }
        guard cube.memories.count <= limits.maximumImportMemories else {
            throw MemVaultError(
                .limitExceeded,
                "the cube holds \(cube.memories.count) memories; one import takes at most "
                    + "\(limits.maximumImportMemories)")
        }
        var seen: Set<String> = []
        for (index, memory) in cube.memories.enumerated() {
            let place = "memory \(index + 1) of the cube"
            do {
                if keepingIDs {
                    _ = try MemoryID(memory.id)
                    guard seen.insert(memory.id).inserted else {
                        throw MemVaultError(.invalidArgument, "its id appears twice")
                    }
                }
                guard !memory.versions.isEmpty else { throw MemVaultError(.invalidArgument, "it has no version") }
                guard memory.versions.count <= limits.maximumImportVersions else {
                    throw MemVaultError(
                        .limitExceeded,
                        "it has \(memory.versions.count) versions; at most \(limits.maximumImportVersions) are taken")
                }
                for (position, version) in memory.versions.enumerated() {
                    guard version.version == position + 1 else {
                        throw MemVaultError(.invalidArgument, "its versions are not numbered 1, 2, 3, … oldest first")
                    }
                    try limits.check(content: version.content)
                    try limits.check(tags: version.tags)
                    try limits.check(attributes: version.attributes)
                    try limits.checkText(version.sourceDetail, "source detail", limits.maximumDetailBytes)
                    try limits.check(confidence: version.confidence)
                    try limits.check(validFrom: version.validFrom, validUntil: version.validUntil)
                    _ = try Token.validate(version.category, what: "category")
                    guard version.updatedAt >= version.createdAt else {
                        throw MemVaultError(
                            .invalidArgument, "version \(version.version) was updated before it was created")
                    }
                }
                if let embedding = memory.embedding {
                    try limits.check(embedding: embedding, dimension: cube.embeddingDimension, what: "its embedding")
                }
            } catch let error as MemVaultError {
                throw MemVaultError(error.code, "\(place): \(error.message); nothing was imported")
            }
        }
    }
}
