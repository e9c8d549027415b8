import Foundation
import MemVaultCrypto
import Synchronization

/// Everything one tenant can do with its subjects, cubes and memories.
///
/// A `TenantStore` is bound to one tenant's storage and keys: an id that belongs to another tenant is not found,
/// exactly like an id that never existed. Content and metadata are sealed here, before storage sees them, and
/// opened here, after storage returns them.
public final class TenantStore: Sendable {
    public let tenant: TenantID
    private let storage: any TenantStorage
    private let keys: KeyHierarchy
    private let limits: StoreLimits
    private let pseudonymizer: Pseudonymizer
    /// Cube owner and pseudonym, needed for every seal and open; cubes never change owner.
    private let cubeContexts = Mutex([CubeID: CubeContext]())
    private let subjectPseudonyms = Mutex([SubjectID: String]())

    private struct CubeContext: Sendable {
        let record: CubeRecord
        let pseudonym: String?
        var owner: DataKeyOwner { record.subject.map(DataKeyOwner.subject) ?? .tenant }
    }

    init(storage: any TenantStorage, keys: KeyHierarchy, limits: StoreLimits) throws {
        tenant = storage.tenant
        self.storage = storage
        self.keys = keys
        self.limits = limits
        pseudonymizer = try keys.pseudonymizer(storage.tenant)
    }

    // MARK: - Subjects

    /// The subject known to the tenant by `externalID`, created (with its own data key) if `create` and new.
    /// The external id is stored only sealed under the subject's key; lookups use its keyed pseudonym.
    public func resolveSubject(externalID: String, create: Bool = true) async throws -> Subject {
        guard !externalID.isEmpty else { throw MemVaultError(.invalidArgument, "the external subject id is empty") }
        try limits.checkText(externalID, "the external subject id", limits.maximumExternalIDBytes)
        let pseudonym = try pseudonymizer.pseudonym(forExternalID: externalID)
        if let record = try await storage.subject(pseudonym: pseudonym) { return Subject(record) }
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
            try await storage.insertSubject(record)
        } catch let error as MemVaultError where error.code == .conflict {
            // Another request created the same subject first: drop this key and use theirs.
            _ = try? keys.destroyDataKeys(tenant, owner: .subject(id))
            if let winner = try await storage.subject(pseudonym: pseudonym) { return Subject(winner) }
            throw error
        }
        subjectPseudonyms.withLock { $0[id] = pseudonym }
        return Subject(record)
    }

    public func subject(_ id: SubjectID) async throws -> Subject {
        Subject(try await subjectRecord(id))
    }

    /// The tenant's external id for a subject, decrypted: only for callers entitled to see it.
    public func externalID(of id: SubjectID) async throws -> String {
        let record = try await subjectRecord(id)
        let plaintext = try openSealed(
            record.externalID, owner: .subject(id), keyVersion: record.keyVersion,
            associatedData: subjectBinding(id, keyVersion: record.keyVersion), what: "subject \(id)")
        return String(decoding: plaintext, as: UTF8.self)
    }

    // MARK: - Cubes

    public func createCube(_ new: NewCube) async throws -> MemCube {
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
        let id = try CubeID.make()
        let key = try keys.encryptionKey(tenant, owner: owner)
        let created = StoredTime(now: .now)
        let metadata = try Envelope.seal(
            PayloadCodec.encode(CubeMetadata(name: new.name, provenance: new.provenance)), with: key,
            associatedData: cubeBinding(id, pseudonym: pseudonym, keyVersion: key.version))
        let record = CubeRecord(
            id: id, subject: subject, kind: kind, defaultCategory: category, schemaVersion: MemCube.schemaVersion,
            metadata: metadata.bytes, keyVersion: key.version, createdAt: created, updatedAt: created)
        try await storage.insertCube(record)
        cubeContexts.withLock { $0[id] = CubeContext(record: record, pseudonym: pseudonym) }
        return MemCube(
            id: id, subject: subject, name: new.name, kind: kind, defaultCategory: category,
            provenance: new.provenance, schemaVersion: MemCube.schemaVersion, createdAt: created.date,
            updatedAt: created.date)
    }

    public func cube(_ id: CubeID) async throws -> MemCube {
        try openCube(try await cubeContext(id))
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
        for record in records.prefix(limit) {
            cubes.append(try openCube(try await context(for: record)))
        }
        return Page(items: cubes, nextCursor: records.count > limit ? cubes.last?.id.rawValue : nil)
    }

    /// Deletes the cube, its memories and their history.
    public func deleteCube(_ id: CubeID) async throws {
        guard try await storage.deleteCube(id) else { throw notFound(cube: id) }
        _ = cubeContexts.withLock { $0.removeValue(forKey: id) }
    }

    // MARK: - Memories

    public func addMemory(_ memory: NewMemory, to cube: CubeID) async throws -> Memory {
        try await addMemories([memory], to: cube)[0]
    }

    /// Adds memories to one cube in one transaction: all are stored, or none.
    public func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory] {
        guard !memories.isEmpty else { throw MemVaultError(.invalidArgument, "no memories to add") }
        try limits.check(batch: memories.count)
        for memory in memories { try limits.check(memory) }
        let cube = try await cubeContext(cubeID)
        let key = try keys.encryptionKey(tenant, owner: cube.owner, encryptions: UInt64(memories.count))
        let now = StoredTime(now: .now)
        var records: [MemoryRecord] = []
        var added: [Memory] = []
        records.reserveCapacity(memories.count)
        added.reserveCapacity(memories.count)
        for memory in memories {
            let id = try MemoryID.make()
            let payload = MemoryPayload(
                content: memory.content, tags: memory.tags, sourceDetail: memory.sourceDetail,
                confidence: memory.confidence, attributes: memory.attributes)
            let record = MemoryRecord(
                id: id, cube: cubeID, subject: cube.record.subject, version: 1, supersedes: nil, status: .active,
                type: memory.type, category: memory.category ?? cube.record.defaultCategory, source: memory.source,
                contentKind: memory.content.isText ? .text : .binary, contentSize: memory.content.byteCount,
                occurredAt: memory.occurredAt.map(StoredTime.init(now:)),
                validFrom: memory.validFrom.map(StoredTime.init(now:)),
                validUntil: memory.validUntil.map(StoredTime.init(now:)), createdAt: now, updatedAt: now,
                keyVersion: key.version,
                payload: try seal(payload, key: key, cube: cube, memory: id, version: 1))
            records.append(record)
            added.append(Memory(record: record, payload: payload))
        }
        try await storage.insertMemories(records)
        return added
    }

    /// The current version, or a given one.
    public func memory(_ id: MemoryID, version: Int? = nil) async throws -> Memory {
        let record =
            if let version {
                try await storage.memory(id, version: version)
            } else {
                try await storage.memory(id)
            }
        guard let record else {
            throw version.map { MemVaultError(.notFound, "memory \(id) has no version \($0)") } ?? notFound(memory: id)
        }
        return try await open(record)
    }

    /// Memories of a cube or a subject in id (creation) order, active ones unless `statuses` says otherwise.
    public func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus> = [.active], after cursor: String? = nil, limit: Int = 100
    ) async throws -> Page<Memory> {
        try limits.check(pageSize: limit)
        guard !statuses.isEmpty else { throw MemVaultError(.invalidArgument, "no statuses to list") }
        let after = try cursor.map { try MemoryID($0) }
        switch scope {
        case .cube(let cube): _ = try await cubeContext(cube)
        case .subject(let subject): _ = try await subjectRecord(subject)
        }
        let records = try await storage.memories(scope, statuses: statuses, after: after, limit: limit + 1)
        var memories: [Memory] = []
        for record in records.prefix(limit) { memories.append(try await open(record)) }
        return Page(items: memories, nextCursor: records.count > limit ? memories.last?.id.rawValue : nil)
    }

    /// Stores a new version with `changes` applied; the previous version stays in the history.
    public func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory {
        guard !changes.isEmpty else { throw MemVaultError(.invalidArgument, "nothing to update") }
        if let content = changes.content { try limits.check(content: content) }
        if let tags = changes.tags { try limits.check(tags: tags) }
        if let attributes = changes.attributes { try limits.check(attributes: attributes) }
        if let category = changes.category { _ = try Token.validate(category, what: "category") }
        try limits.checkText(changes.sourceDetail, "source detail", limits.maximumDetailBytes)
        try limits.check(confidence: changes.confidence)
        // Optimistic concurrency: if another update lands between read and write, read again.
        for _ in 0..<5 {
            guard let record = try await storage.memory(id) else { throw notFound(memory: id) }
            let current = try await open(record)
            let validFrom = changes.validFrom ?? current.validFrom
            let validUntil = changes.validUntil ?? current.validUntil
            try limits.check(validFrom: validFrom, validUntil: validUntil)
            let content = changes.content ?? current.content
            let payload = MemoryPayload(
                content: content, tags: changes.tags ?? current.tags,
                sourceDetail: changes.sourceDetail ?? current.sourceDetail,
                confidence: changes.confidence ?? current.confidence,
                attributes: changes.attributes ?? current.attributes)
            let cube = try await cubeContext(record.cube)
            let key = try keys.encryptionKey(tenant, owner: cube.owner)
            let version = record.version + 1
            let next = MemoryRecord(
                id: id, cube: record.cube, subject: record.subject, version: version, supersedes: record.version,
                status: record.status, type: changes.type ?? record.type, category: changes.category ?? record.category,
                source: changes.source ?? record.source, contentKind: content.isText ? .text : .binary,
                contentSize: content.byteCount,
                occurredAt: changes.occurredAt.map(StoredTime.init(now:)) ?? record.occurredAt,
                validFrom: validFrom.map(StoredTime.init(now:)), validUntil: validUntil.map(StoredTime.init(now:)),
                createdAt: record.createdAt, updatedAt: StoredTime(now: .now), keyVersion: key.version,
                payload: try seal(payload, key: key, cube: cube, memory: id, version: version))
            if try await storage.replaceMemory(next) { return Memory(record: next, payload: payload) }
        }
        throw MemVaultError(.conflict, "memory \(id) is being updated concurrently; try again")
    }

    /// Archives the current version: it is kept, but no longer listed by default.
    public func archiveMemory(_ id: MemoryID) async throws -> Memory {
        guard try await storage.setStatus(id, .archived, updatedAt: StoredTime(now: .now)) else {
            throw notFound(memory: id)
        }
        return try await memory(id)
    }

    /// Deletes a memory with every version.
    public func deleteMemory(_ id: MemoryID) async throws {
        guard try await storage.deleteMemory(id) else { throw notFound(memory: id) }
    }

    /// Every version of a memory, oldest first: the lineage of the current one.
    public func history(_ id: MemoryID) async throws -> [Memory] {
        let records = try await storage.history(id)
        guard !records.isEmpty else { throw notFound(memory: id) }
        var versions: [Memory] = []
        for record in records { versions.append(try await open(record)) }
        return versions
    }

    // MARK: - Sealing

    private func seal(
        _ payload: MemoryPayload, key: EnvelopeKey, cube: CubeContext, memory: MemoryID, version: Int
    ) throws -> [UInt8] {
        try Envelope.seal(
            PayloadCodec.encode(payload), with: key,
            associatedData: memoryBinding(
                cube: cube.record.id, pseudonym: cube.pseudonym, memory: memory, version: version,
                keyVersion: key.version)
        ).bytes
    }

    private func open(_ record: MemoryRecord) async throws -> Memory {
        let pseudonym = try await pseudonym(of: record.subject)
        let plaintext = try openSealed(
            record.payload, owner: record.subject.map(DataKeyOwner.subject) ?? .tenant, keyVersion: record.keyVersion,
            associatedData: memoryBinding(
                cube: record.cube, pseudonym: pseudonym, memory: record.id, version: record.version,
                keyVersion: record.keyVersion),
            what: "memory \(record.id) version \(record.version)")
        return Memory(record: record, payload: try PayloadCodec.decodeMemory(plaintext))
    }

    private func openCube(_ context: CubeContext) throws -> MemCube {
        let record = context.record
        let metadata = try PayloadCodec.decodeCube(
            openSealed(
                record.metadata, owner: context.owner, keyVersion: record.keyVersion,
                associatedData: cubeBinding(record.id, pseudonym: context.pseudonym, keyVersion: record.keyVersion),
                what: "cube \(record.id)"))
        return MemCube(
            id: record.id, subject: record.subject, name: metadata.name, kind: record.kind,
            defaultCategory: record.defaultCategory, provenance: metadata.provenance,
            schemaVersion: record.schemaVersion, createdAt: record.createdAt.date, updatedAt: record.updatedAt.date)
    }

    /// Opens an envelope that must have been sealed under `owner`'s key at `keyVersion` for exactly this place.
    private func openSealed(
        _ bytes: [UInt8], owner: DataKeyOwner, keyVersion: UInt32, associatedData: [UInt8], what: String
    ) throws -> [UInt8] {
        do {
            let envelope = try Envelope(bytes: bytes)
            guard envelope.keyID == owner.keyID, envelope.keyVersion == keyVersion else {
                throw CryptoError.envelopeKeyMismatch(
                    envelopeKey: "\(envelope.keyID) v\(envelope.keyVersion)",
                    offeredKey: "\(owner.keyID) v\(keyVersion)")
            }
            let key = try keys.decryptionKey(tenant, owner: owner, version: keyVersion)
            return try envelope.open(with: key, associatedData: associatedData)
        } catch let error as CryptoError {
            throw MemVaultError(
                .integrity, "\(what) of tenant '\(tenant)' failed to open (\(error)): it was modified or moved")
        }
    }

    private func memoryBinding(
        cube: CubeID, pseudonym: String?, memory: MemoryID, version: Int, keyVersion: UInt32
    ) -> [UInt8] {
        CiphertextBinding(
            tenant: tenant, subjectPseudonym: pseudonym, cube: cube.rawValue, memory: memory.rawValue,
            field: "payload.v\(version)", keyVersion: keyVersion
        ).associatedData
    }

    private func cubeBinding(_ cube: CubeID, pseudonym: String?, keyVersion: UInt32) -> [UInt8] {
        CiphertextBinding(
            tenant: tenant, subjectPseudonym: pseudonym, cube: cube.rawValue, memory: "-", field: "cube-metadata",
            keyVersion: keyVersion
        ).associatedData
    }

    private func subjectBinding(_ subject: SubjectID, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.subject.v1").with("tenant", tenant.rawValue)
            .with("subject", subject.rawValue).with("field", "external-id").with("key-version", keyVersion).bytes
    }

    // MARK: - Lookups

    private func subjectRecord(_ id: SubjectID) async throws -> SubjectRecord {
        guard let record = try await storage.subject(id: id) else {
            throw MemVaultError(.notFound, "subject \(id) does not exist in tenant '\(tenant)'")
        }
        return record
    }

    private func pseudonym(of subject: SubjectID?) async throws -> String? {
        guard let subject else { return nil }
        if let cached = subjectPseudonyms.withLock({ $0[subject] }) { return cached }
        let pseudonym = try await subjectRecord(subject).pseudonym
        subjectPseudonyms.withLock { $0[subject] = pseudonym }
        return pseudonym
    }

    private func cubeContext(_ id: CubeID) async throws -> CubeContext {
        if let cached = cubeContexts.withLock({ $0[id] }) { return cached }
        guard let record = try await storage.cube(id) else { throw notFound(cube: id) }
        return try await context(for: record)
    }

    private func context(for record: CubeRecord) async throws -> CubeContext {
        let context = CubeContext(record: record, pseudonym: try await pseudonym(of: record.subject))
        cubeContexts.withLock { $0[record.id] = context }
        return context
    }

    private func notFound(memory id: MemoryID) -> MemVaultError {
        MemVaultError(.notFound, "memory \(id) does not exist in tenant '\(tenant)'")
    }

    private func notFound(cube id: CubeID) -> MemVaultError {
        MemVaultError(.notFound, "cube \(id) does not exist in tenant '\(tenant)'")
    }
}

extension Subject {
    init(_ record: SubjectRecord) {
        self.init(id: record.id, pseudonym: record.pseudonym, createdAt: record.createdAt.date)
    }
}

extension Memory {
    init(record: MemoryRecord, payload: MemoryPayload) {
        self.init(
            id: record.id, cube: record.cube, subject: record.subject, version: record.version,
            supersedes: record.supersedes, status: record.status, type: record.type, category: record.category,
            content: payload.content, tags: payload.tags, source: record.source, sourceDetail: payload.sourceDetail,
            confidence: payload.confidence, occurredAt: record.occurredAt?.date, validFrom: record.validFrom?.date,
            validUntil: record.validUntil?.date, attributes: payload.attributes, createdAt: record.createdAt.date,
            updatedAt: record.updatedAt.date)
    }
}

extension StoredTime {
    /// Milliseconds since 1970; storage keeps millisecond precision.
    init(now date: Date) {
        self = StoredTime((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    var date: Date { Date(timeIntervalSince1970: Double(self) / 1000) }
}
