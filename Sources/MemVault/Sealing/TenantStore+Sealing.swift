import MemVaultCrypto
import Synchronization

/// Sealing and opening what storage holds, and the verified lookups every decision starts from.
extension TenantStore {
    // MARK: - Subjects

    /// The subject, with its pseudonym verified by opening its sealed external id (bound to id, pseudonym and
    /// creation time). A swapped pseudonym is an integrity failure, never a lookup of someone else.
    func verifiedSubject(_ id: SubjectID, in reader: any SubjectReader) throws -> SubjectRecord {
        if let confinement, id != confinement { throw notFound(subject: id) }
        if let cached = resources.subjects.withLock({ $0.value(forKey: id) }) { return cached }
        guard let record = try reader.subject(id: id) else { throw notFound(subject: id) }
        _ = try openExternalID(record)
        resources.subjects.withLock { $0.insert(record, forKey: id) }
        return record
    }

    func openExternalID(_ record: SubjectRecord) throws -> String {
        String(
            decoding: try openSealed(
                record.externalID, owner: .subject(record.id), keyVersion: record.keyVersion,
                associatedData: Bindings.subject(tenant, record), what: "a subject record"),
            as: UTF8.self)
    }

    func sealExternalID(_ externalID: String, for record: SubjectRecord, key: EnvelopeKey) throws -> [UInt8] {
        try Envelope.seal(Array(externalID.utf8), with: key, associatedData: Bindings.subject(tenant, record)).bytes
    }

    func pseudonym(of subject: SubjectID?, in reader: any SubjectReader) throws -> String? {
        try subject.map { try verifiedSubject($0, in: reader).pseudonym }
    }

    // MARK: - Cubes

    /// The cube's owner and pseudonym, verified against its sealed metadata (which binds owner, kind, category and
    /// times), and cached: cubes never change owner.
    func cubeContext(_ id: CubeID, in reader: any SubjectReader & CubeReader) throws -> CubeContext {
        if let cached = cachedCubeContext(id) { return try confine(cached) }
        guard let record = try reader.cube(id) else { throw notFound(cube: id) }
        return try verifiedContext(for: record, in: reader)
    }

    /// The cube's context outside a unit of work: from the cache, else read from a snapshot.
    func cubeContext(_ id: CubeID) async throws -> CubeContext {
        if let cached = cachedCubeContext(id) { return try confine(cached) }
        return try await storage.read { [self] in try cubeContext(id, in: $0) }
    }

    private func cachedCubeContext(_ id: CubeID) -> CubeContext? {
        resources.cubeContexts.withLock { $0.value(forKey: id) }
    }

    /// Under confinement, another subject's cube (or a shared one) is an unknown cube.
    private func confine(_ context: CubeContext) throws -> CubeContext {
        if let confinement, context.record.subject != confinement { throw notFound(cube: context.record.id) }
        return context
    }

    func verifiedContext(for record: CubeRecord, in reader: any SubjectReader) throws -> CubeContext {
        if let confinement, record.subject != confinement { throw notFound(cube: record.id) }
        var context = CubeContext(record: record, pseudonym: try pseudonym(of: record.subject, in: reader))
        let cube = try openCube(context)
        context.analysis = cube.analysis
        context.embeddingDimension = cube.embeddingDimension
        context.embedder = cube.embedder
        context.module = cube.module
        resources.cubeContexts.withLock { $0.insert(context, forKey: record.id) }
        return context
    }

    func openCube(_ context: CubeContext) throws -> MemCube {
        let record = context.record
        let metadata = try PayloadCodec.decodeCube(
            openSealed(
                record.metadata, owner: context.owner, keyVersion: record.keyVersion,
                associatedData: Bindings.cube(tenant, pseudonym: context.pseudonym, record),
                what: "cube \(record.id)"))
        return MemCube(
            id: record.id, subject: record.subject, name: metadata.name, kind: record.kind,
            defaultCategory: record.defaultCategory, provenance: metadata.provenance, analysis: metadata.analysis,
            embeddingDimension: metadata.embeddingDimension, embedder: metadata.embedder,
            schemaVersion: record.schemaVersion, createdAt: record.createdAt.date, updatedAt: record.updatedAt.date,
            module: metadata.module)
    }

    // MARK: - Memories

    /// Seals `payload` for `record`'s place and clear fields; returns the record carrying it.
    func sealed(
        _ record: MemoryRecord, _ payload: MemoryPayload, key: EnvelopeKey, pseudonym: String?, current: Bool
    ) throws -> MemoryRecord {
        var record = record
        record.keyVersion = key.version
        record.payload = try Envelope.seal(
            PayloadCodec.encode(payload), with: key,
            associatedData: Bindings.memory(tenant, pseudonym: pseudonym, record, current: current)
        ).bytes
        return record
    }

    /// Opens a stored version: it must have been sealed for exactly this place and these clear fields.
    func openPayload(_ record: MemoryRecord, current: Bool, in reader: any SubjectReader) throws -> MemoryPayload {
        try confine(record)
        let pseudonym = try pseudonym(of: record.subject, in: reader)
        let plaintext = try openSealed(
            record.payload, owner: record.subject.map(DataKeyOwner.subject) ?? .tenant, keyVersion: record.keyVersion,
            associatedData: Bindings.memory(tenant, pseudonym: pseudonym, record, current: current),
            what: "memory \(record.id) version \(record.version)")
        return try PayloadCodec.decodeMemory(plaintext)
    }

    /// Checks that a stored version opens (authentic, in its place), without decoding it: what a deletion that
    /// must not be fooled by edited clear fields needs.
    func verifyPayload(_ record: MemoryRecord, current: Bool, in reader: any SubjectReader) throws {
        let pseudonym = try pseudonym(of: record.subject, in: reader)
        _ = try openSealed(
            record.payload, owner: record.subject.map(DataKeyOwner.subject) ?? .tenant, keyVersion: record.keyVersion,
            associatedData: Bindings.memory(tenant, pseudonym: pseudonym, record, current: current),
            what: "memory \(record.id) version \(record.version)")
    }

    func open(_ record: MemoryRecord, current: Bool, in reader: any SubjectReader) throws -> Memory {
        Memory(record: record, payload: try openPayload(record, current: current, in: reader))
    }

    // MARK: - Envelopes

    /// Opens an envelope that must have been sealed under `owner`'s key at `keyVersion` for exactly this place.
    /// The error names the record, never the key (whose id may name a subject).
    func openSealed(
        _ bytes: [UInt8], owner: DataKeyOwner, keyVersion: UInt32, associatedData: [UInt8], what: String
    ) throws -> [UInt8] {
        do {
            let envelope = try Envelope(bytes: bytes)
            guard envelope.keyID == owner.keyID, envelope.keyVersion == keyVersion else {
                throw CryptoError.envelopeKeyMismatch(envelopeKey: "", offeredKey: "")
            }
            let key = try keys.decryptionKey(tenant, owner: owner, version: keyVersion)
            return try envelope.open(with: key, associatedData: associatedData)
        } catch let error as CryptoError {
            throw MemVaultError(
                .integrity,
                "\(what) of tenant '\(tenant)' failed to open (\(error.category)): it was modified or moved")
        }
    }

    // MARK: - Not found

    func notFound(memory id: MemoryID) -> MemVaultError {
        MemVaultError(.notFound, "memory \(id) does not exist in tenant '\(tenant)'")
    }

    func notFound(cube id: CubeID) -> MemVaultError {
        MemVaultError(.notFound, "cube \(id) does not exist in tenant '\(tenant)'")
    }

    func notFound(subject id: SubjectID) -> MemVaultError {
        MemVaultError(.notFound, "subject \(id) does not exist in tenant '\(tenant)'")
    }
}
