public import Foundation
import MemVaultCrypto
public import MemVaultPolicy

/// A cube as it leaves the tenant: in the clear, with what the policy kept back and what the audit entry recorded.
public struct CubeExport: Sendable {
    public let cube: PortableCube
    /// The cube it was exported from.
    public let source: CubeID
    public let tenant: TenantID
    public let transfer: Transfer
    /// Memories the policy did not let go (retention, consent, restrictions, rules), grouped by reason.
    public let withheld: [Withheld]
    public let policyRevision: String
    public let exportedAt: Date
    /// SHA-256 of the cube's portable JSON (hex): recorded in the audit entry, so the two sides of a migration can
    /// be matched by it.
    public let contentHash: String
    /// The cube's portable JSON, the bytes the hash is of.
    public let content: [UInt8]
}

extension TenantStore {
    /// The cube with every memory, version and embedding the policy lets leave, in one unit of work recorded as one
    /// entry (the transfer and the content hash; memory ids are in the content the hash commits to).
    ///
    /// Decided in order: the policy's `migration` section must allow the transfer's format and destination; an
    /// outbound move of a subject's cube needs the consent `required_purposes` names (for a sealed migration); then
    /// the cube as a whole, then every memory on its own, as a `migrate` (a sealed bundle: whoever moves it never
    /// sees its content) or an `export` (a plaintext format). A module is a tenant-shared cube only.
    public func exportCube(_ id: CubeID, as transfer: Transfer) async throws -> CubeExport {
        guard transfer.direction == .outbound else {
            throw MemVaultError(.invalidArgument, "an export is an outbound transfer")
        }
        guard StoreVocabulary.transferFormats.contains(transfer.format),
            StoreVocabulary.platforms.contains(transfer.platform)
        else {
            throw MemVaultError(
                .invalidArgument,
                "unknown transfer \(transfer); formats are \(StoreVocabulary.transferFormats.sorted()) and "
                    + "platforms \(StoreVocabulary.platforms.sorted())")
        }
        let sealed = transfer.format == "memvault-bundle" || transfer.format == "memvault-module"
        let operation: StoreOperation = sealed ? .migrateCube : .exportCube
        let action: Action = sealed ? .migrate : .export
        return try await perform(operation, cube: id) { [self] work in
            work.cube = id
            work.detail = "\(transfer)"
            if let denial = work.engine.transferDenial(transfer) { try work.require(denial) }
            let context = try cubeContext(id, in: work.transaction)
            let subject = context.record.subject
            work.subject = subject
            if transfer.format == "memvault-module", subject != nil {
                throw MemVaultError(
                    .invalidArgument,
                    "cube \(id) belongs to a subject; only a tenant-shared cube is published as a module")
            }
            if let subject, action == .migrate,
                let denial = try work.engine.migrationConsentDenial(consent: {
                    try work.verifiedConsentState(subject: subject, purpose: $0)
                })
            {
                try work.require(denial)
            }
            let cubeDecision = try work.require(action, subject: subject, cube: id)
            let (portable, withheld) = try portableCube(context, action: action, in: work)
            let content = Array(try PortableJSON.encoder().encode(portable))
            let hash = try PortableCube.contentHash(bytes: content)
            let memories = portable.memories
            work.returned = UInt64(memories.count)
            work.withheld = UInt64(withheld.count)
            work.detail = "\(transfer), \(portable.versionCount) versions, sha256:\(hash)"
            if memories.isEmpty, withheld.count > 0 { work.decision = withheld.auditDecision }
            return CubeExport(
                cube: portable, source: id, tenant: tenant, transfer: transfer, withheld: withheld.summary,
                policyRevision: cubeDecision.policyRevision, exportedAt: work.now, contentHash: hash,
                content: content)
        }
    }

    /// The cube with every memory the unit's decision on `action` lets go, each with all its versions (verified
    /// before it is decided on or withheld: an edited row fails the whole export, never hides) and its embedding.
    func portableCube(
        _ context: CubeContext, action: Action, in work: TenantWork
    ) throws -> (PortableCube, WithheldTally) {
        let id = context.record.id
        let cube = try openCube(context)
        var memories: [PortableMemory] = []
        var withheld = WithheldTally()
        var after: MemoryID?
        // The cube's embeddings in one read, rather than one per memory.
        let vectors = Dictionary(
            try work.transaction.vectors(in: id).map { ($0.memory, $0) }, uniquingKeysWith: { first, _ in first })
        while true {
            let page = try work.transaction.memories(.cube(id), statuses: nil, after: after, limit: 500)
            for record in page {
                let decision = work.decide(action, record, governance: try work.governance(for: record))
                let versions = try work.transaction.history(record.id)
                try checkLineage(versions, of: record.id)
                let opened = try versions.map { try open($0.record, current: $0.isCurrent, in: work.transaction) }
                guard decision.isPermitted else {
                    withheld.add(decision)
                    continue
                }
                let embedding = try vectors[record.id].map { try openVector($0, in: context) }
                memories.append(
                    PortableMemory(
                        id: record.id.rawValue, versions: opened.map(PortableVersion.init), embedding: embedding))
            }
            guard page.count == 500 else { break }
            after = page.last?.id
        }
        let portable = PortableCube(
            name: cube.name, kind: cube.kind, defaultCategory: cube.defaultCategory, provenance: cube.provenance,
            analysis: cube.analysis, embeddingDimension: cube.embeddingDimension, embedder: cube.embedder,
            createdAt: cube.createdAt,
            subjectExternalID: try context.record.subject.map {
                try openExternalID(verifiedSubject($0, in: work.transaction))
            },
            memories: memories)
        return (portable, withheld)
    }
}
