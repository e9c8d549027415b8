public import Foundation
import MemVaultCrypto
import MemVaultPolicy

/// How far a cube that names an embedder is from having every memory embedded.
public struct EmbeddingBacklog: Sendable, Equatable, Codable {
    public let cube: CubeID
    public let embedder: String
    /// Memories (current versions) still without an embedding.
    public let awaiting: Int
    /// When the longest-waiting of them was added or last changed: how far behind the indexer is.
    public let oldestAwaitingSince: Date?
}

/// What one pass of the indexer did.
public struct EmbeddingPass: Sendable, Equatable {
    /// Memories embedded and stored.
    public let embedded: Int
    /// Memories the policy does not allow processing for the declared purpose: left without an embedding.
    public let withheld: Int
    /// Memories changed or deleted while they were being embedded: left for a later pass.
    public let skipped: Int
    /// Where the next pass over this cube continues; nil once the backlog was read to its end.
    public let next: MemoryID?
}

/// Embedding in the background: memories of a cube that names an embedder are stored at once and embedded later,
/// in batches, by whoever runs the indexer (`memvault index run`, or a server's background task). Which memories
/// wait is derived from what is stored (no queue to lose), so an indexer that stops anywhere simply resumes.
///
/// A pass is two units of work around the model: the first decides, opens the memories and records that they were
/// read to be embedded; the model runs outside any transaction; the second decides again and stores the sealed
/// vectors of the versions still current, recording what it stored. Plaintext exists only in memory.
extension TenantStore {
    /// The cube's backlog: how many memories await an embedding, and since when the oldest of them has.
    public func embeddingBacklog(_ cube: CubeID) async throws -> EmbeddingBacklog {
        try await perform(.readEmbeddingBacklog, cube: cube) { [self] work in
            let context = try cubeContext(cube, in: work.transaction)
            work.subject = context.record.subject
            try work.require(.read, subject: context.record.subject, cube: cube)
            guard let embedder = context.embedder else { throw notEmbedded(cube) }
            let awaiting = try work.transaction.awaitingEmbedding(in: cube)
            // Ids grow with time, so the first awaiting memory is the one waiting longest (or the oldest changed).
            let oldest =
                awaiting == 0
                ? nil : try work.transaction.memoriesAwaitingEmbedding(in: cube, after: nil, limit: 1).first
            work.returned = 1
            work.detail = "embedding backlog"
            return EmbeddingBacklog(
                cube: cube, embedder: embedder, awaiting: awaiting, oldestAwaitingSince: oldest?.fields.updatedAt.date)
        }
    }

    /// Embeds up to `limit` of the cube's waiting memories, in id order after `after`, with `embedder` (which must
    /// be the model the cube names). Text memories are embedded by their text, binary ones by their tags.
    public func embedAwaiting(
        in cube: CubeID, with embedder: any Embedder, after: MemoryID? = nil, limit: Int = 64
    ) async throws -> EmbeddingPass {
        try limits.check(pageSize: limit)
        let context = try await cubeContext(cube)
        guard let name = context.embedder else { throw notEmbedded(cube) }
        guard name == embedder.name, context.embeddingDimension == embedder.dimension else {
            throw MemVaultError(
                .invalidArgument,
                "cube \(cube) is embedded with \(name) (\(context.embeddingDimension ?? 0) dimensions), not with "
                    + "\(embedder.name) (\(embedder.dimension))")
        }
        // An embedder that cannot run (a model not fetched) fails here, before anything is read or recorded.
        _ = try await embedder.embed([])
        let batch = try await perform(.embedMemories, subject: context.record.subject, cube: cube) {
            [self] work -> (records: [MemoryRecord], texts: [String], withheld: Int, listed: [MemoryRecord]) in
            let listed = try work.transaction.memoriesAwaitingEmbedding(in: cube, after: after, limit: limit)
            var records: [MemoryRecord] = []
            var texts: [String] = []
            var withheld = WithheldTally()
            for record in listed {
                let decision = work.decide(.write, record, governance: try work.governance(for: record))
                guard decision.isPermitted else {
                    withheld.add(decision)
                    continue
                }
                let payload = try openPayload(record, current: true, in: work.transaction)
                records.append(record)
                texts.append(Self.textToEmbed(payload))
            }
            if records.isEmpty, withheld.count > 0 { work.decision = withheld.auditDecision }
            work.memories = records.map(\.id)
            work.returned = UInt64(records.count)
            work.withheld = UInt64(withheld.count)
            work.detail = "embedding: read"
            return (records, texts, withheld.count, listed)
        }
        let next = batch.listed.count == limit ? batch.listed.last?.id : nil
        guard !batch.records.isEmpty else {
            return EmbeddingPass(embedded: 0, withheld: batch.withheld, skipped: 0, next: next)
        }
        let vectors = try await embedder.embed(batch.texts)
        guard vectors.count == batch.records.count, vectors.allSatisfy({ $0.count == embedder.dimension }) else {
            throw MemVaultError(
                .invalidArgument, "the embedder returned vectors of the wrong number or dimension")
        }
        let key = try keys.encryptionKey(tenant, owner: context.owner, encryptions: UInt64(vectors.count))
        let sealed = try sealedVectors(batch.records, vectors, in: context, key: key)
        let stored = try await perform(.embedMemories, subject: context.record.subject, cube: cube) {
            work -> Int in
            var kept: [VectorRecord] = []
            for (record, vector) in zip(batch.records, sealed) {
                // Only a version still current, still without an embedding, and still allowed, gets one.
                guard let current = try work.transaction.memory(record.id)?.current,
                    current.version == record.version, try work.transaction.vector(of: record.id) == nil,
                    work.decide(.write, current, governance: try work.governance(for: current)).isPermitted
                else { continue }
                kept.append(vector)
            }
            try work.transaction.storeVectors(kept)
            work.memories = kept.map(\.memory)
            work.returned = UInt64(kept.count)
            work.detail = "embedding: stored"
            return kept.count
        }
        return EmbeddingPass(
            embedded: stored, withheld: batch.withheld, skipped: batch.records.count - stored, next: next)
    }

    /// Removes every embedding of the cube so that the indexer embeds its memories again (after a change of model,
    /// for instance); returns how many were removed.
    public func reembed(_ cube: CubeID) async throws -> Int {
        try await perform(.resetEmbeddings, cube: cube) { [self] work in
            let context = try cubeContext(cube, in: work.transaction)
            work.subject = context.record.subject
            try work.require(.update, subject: context.record.subject, cube: cube)
            guard context.embedder != nil else { throw notEmbedded(cube) }
            let removed = try work.transaction.removeVectors(in: cube)
            work.returned = UInt64(removed)
            work.detail = "embeddings removed"
            return removed
        }
    }

    /// For the background indexer's polling: how many memories wait in each cube that names `model`, read from a
    /// snapshot and not recorded. Counts only (no content, no subject): an indexer checking every few seconds must
    /// not fill the audit log; the passes that follow are recorded as usual.
    func awaitingEmbeddings(model: String) async throws -> [CubeID: Int] {
        try refreshCaches()
        return try await storage.read { [self] reader in
            var counts: [CubeID: Int] = [:]
            var after: CubeID?
            repeat {
                let records = try reader.cubes(.all, after: after, limit: 500)
                for record in records where try verifiedContext(for: record, in: reader).embedder == model {
                    counts[record.id] = try reader.awaitingEmbedding(in: record.id)
                }
                after = records.count == 500 ? records.last?.id : nil
            } while after != nil
            return counts
        }
    }

    /// What the model sees of a memory: its text, or for binary content its tags.
    static func textToEmbed(_ payload: MemoryPayload) -> String {
        switch payload.content {
        case .text(let text): text
        case .binary: payload.tags.joined(separator: ", ")
        }
    }

    func notEmbedded(_ cube: CubeID) -> MemVaultError {
        MemVaultError(
            .invalidArgument,
            "cube \(cube) names no embedder (create it with one, e.g. `memvault cube create --embedder "
                + "all-MiniLM-L6-v2`)")
    }
}
