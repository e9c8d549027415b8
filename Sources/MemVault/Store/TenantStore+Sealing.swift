import MemVaultCrypto

/// Sealing and opening what storage holds, with the bindings that pin each envelope to its place.
extension TenantStore {
    func seal(
        _ payload: MemoryPayload, key: EnvelopeKey, cube: CubeContext, memory: MemoryID, version: Int
    ) throws -> [UInt8] {
        try Envelope.seal(
            PayloadCodec.encode(payload), with: key,
            associatedData: memoryBinding(
                cube: cube.record.id, pseudonym: cube.pseudonym, memory: memory, version: version,
                keyVersion: key.version)
        ).bytes
    }

    func open(_ record: MemoryRecord) async throws -> Memory {
        let pseudonym = try await pseudonym(of: record.subject)
        let plaintext = try openSealed(
            record.payload, owner: record.subject.map(DataKeyOwner.subject) ?? .tenant, keyVersion: record.keyVersion,
            associatedData: memoryBinding(
                cube: record.cube, pseudonym: pseudonym, memory: record.id, version: record.version,
                keyVersion: record.keyVersion),
            what: "memory \(record.id) version \(record.version)")
        return Memory(record: record, payload: try PayloadCodec.decodeMemory(plaintext))
    }

    func openCube(_ context: CubeContext) throws -> MemCube {
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
    func openSealed(
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

    func cubeBinding(_ cube: CubeID, pseudonym: String?, keyVersion: UInt32) -> [UInt8] {
        CiphertextBinding(
            tenant: tenant, subjectPseudonym: pseudonym, cube: cube.rawValue, memory: "-", field: "cube-metadata",
            keyVersion: keyVersion
        ).associatedData
    }

    func evidenceBinding(subject: SubjectID, change: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.consent.v1").with("tenant", tenant.rawValue)
            .with("subject", subject.rawValue).with("change", change).with("key-version", keyVersion).bytes
    }

    func holdBinding(_ hold: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.hold.v1").with("tenant", tenant.rawValue).with("hold", hold)
            .with("key-version", keyVersion).bytes
    }

    func subjectBinding(_ subject: SubjectID, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.subject.v1").with("tenant", tenant.rawValue)
            .with("subject", subject.rawValue).with("field", "external-id").with("key-version", keyVersion).bytes
    }
}
