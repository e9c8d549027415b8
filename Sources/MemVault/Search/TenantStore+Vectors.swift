import MemVaultCrypto
import Synchronization

/// Embeddings: sealed like content under the owner's data key, bound to their memory and version, and opened into a
/// bounded cache per cube for exact cosine search.
extension TenantStore {
    /// Sealed embeddings for new current versions (`records` and `embeddings` in step; nil entries are skipped).
    func sealedVectors(
        _ records: [MemoryRecord], _ embeddings: [[Float]?], in cube: CubeContext, key: EnvelopeKey
    ) throws -> [VectorRecord] {
        guard let dimension = cube.embeddingDimension else { return [] }
        return try zip(records, embeddings).compactMap { record, embedding in
            guard let embedding else { return nil }
            var vector = VectorRecord(
                memory: record.id, cube: record.cube, version: record.version, keyVersion: key.version, sealed: [])
            vector.sealed = try Envelope.seal(
                VectorCodec.encode(embedding), with: key,
                associatedData: Bindings.vector(tenant, pseudonym: cube.pseudonym, vector, dimension: dimension)
            ).bytes
            return vector
        }
    }

    func openVector(_ record: VectorRecord, in cube: CubeContext) throws -> [Float] {
        let dimension = cube.embeddingDimension ?? 0
        let bytes = try openSealed(
            record.sealed, owner: cube.owner, keyVersion: record.keyVersion,
            associatedData: Bindings.vector(tenant, pseudonym: cube.pseudonym, record, dimension: dimension),
            what: "the embedding of memory \(record.memory)")
        guard let vector = VectorCodec.decode(bytes), vector.count == dimension else {
            throw MemVaultError(.integrity, "the embedding of memory \(record.memory) has the wrong size")
        }
        return vector
    }

    /// The cube's embeddings, opened, from the cache if no process changed them since.
    func vectorSet(_ cube: CubeContext, in work: TenantWork) throws -> VectorSet? {
        guard let dimension = cube.embeddingDimension else { return nil }
        let id = cube.record.id
        let generation = try work.transaction.vectorGeneration(of: id)
        if let cached = resources.vectorSets.withLock({ $0.value(forKey: id) }), cached.generation == generation {
            return cached
        }
        let records = try work.transaction.vectors(in: id)
        let set = VectorSet(
            generation: generation, dimension: dimension,
            vectors: try records.map { ($0.memory, try openVector($0, in: cube)) })
        resources.vectorSets.withLock { $0.insert(set, forKey: id) }
        return set
    }
}
