import Foundation
import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy

/// Memories: adding, reading, listing, updating, archiving, deleting and their history.
extension TenantStore {
    public func addMemory(_ memory: NewMemory, to cube: CubeID) async throws -> Memory {
        try await addMemories([memory], to: cube)[0]
    }

    /// Adds memories to one cube in one unit of work: all are stored, or none. They are sealed before the unit
    /// starts (encryption is the expensive part and runs in parallel); the unit decides each combination of
    /// category, type and source, inserts and records one entry listing every id.
    public func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory] {
        guard !memories.isEmpty else { throw MemVaultError(.invalidArgument, "no memories to add") }
        try limits.check(batch: memories.count)
        for memory in memories { try limits.check(memory) }
        let admission = try await admit(.addMemories, cube: cubeID)
        let cube = try await cubeContext(cubeID)
        try requireWritable(cube)
        for (index, memory) in memories.enumerated() {
            guard let embedding = memory.embedding else { continue }
            try limits.check(
                embedding: embedding, dimension: cube.embeddingDimension,
                what: memories.count == 1 ? "the embedding" : "the embedding of memory \(index + 1)")
        }
        let embedded = memories.count { $0.embedding != nil }
        let key = try keys.encryptionKey(tenant, owner: cube.owner, encryptions: UInt64(memories.count + embedded))
        let time = StoredTime(now: now())
        let ids = try MemoryID.make(count: memories.count, at: time.date)
        let unsealed = zip(memories, ids).map { memory, id in
            MemoryRecord(
                id: id, cube: cubeID, subject: cube.record.subject, version: 1, supersedes: nil,
                fields: memory.fields(defaultCategory: cube.record.defaultCategory, at: time), keyVersion: key.version,
                payload: [])
        }
        let payloads = memories.map(\.payload)
        let envelopes = try Envelope.seal(
            zip(unsealed, payloads).map { record, payload in
                (
                    PayloadCodec.encode(payload),
                    Bindings.memory(tenant, pseudonym: cube.pseudonym, record, current: true)
                )
            }, with: key)
        let records = zip(unsealed, envelopes).map { record, envelope in
            var record = record
            record.payload = envelope.bytes
            return record
        }
        let documents = try indexedDocuments(records, payloads, in: cube)
        let vectors = try sealedVectors(records, memories.map(\.embedding), in: cube, key: key)
        let added = zip(records, payloads).map { Memory(record: $0, payload: $1) }
        let kinds = Set(
            records.map { WriteKind(category: $0.fields.category, type: $0.fields.type, source: $0.fields.source) })
        let inserted = records
        try await perform(admission, subject: cube.record.subject, cube: cubeID, memories: ids) { work in
            // A write's decision depends only on category, type and source: each combination is decided once.
            let governance = try work.governance(subject: cube.record.subject, cubes: [cubeID])
            var rules: Set<String> = []
            for kind in kinds.sorted(by: {
                ($0.category, $0.type.rawValue, $0.source.rawValue) < (
                    $1.category, $1.type.rawValue, $1.source.rawValue
                )
            }) {
                let decision = work.decide(
                    .write, category: kind.category, governance: governance, type: kind.type, source: kind.source)
                try work.require(decision, subject: cube.record.subject, cube: cubeID)
                rules.formUnion(decision.ruleIDs)
            }
            work.decision = AuditDecision(
                effect: .permit, ruleIDs: rules.sorted(), policyRevision: work.engine.revision)
            try self.checkQuotas(
                adding: inserted.count, bytes: inserted.reduce(0) { $0 + $1.fields.contentSize }, in: work.transaction)
            try work.transaction.insertMemories(inserted)
            if cube.embedder != nil { try work.transaction.countAwaitingEmbedding(inserted.count, in: cubeID) }
            try work.transaction.indexAdded(documents)
            try work.transaction.storeVectors(vectors)
        }
        return added
    }

    /// The current version, or a given one.
    public func memory(_ id: MemoryID, version: Int? = nil) async throws -> Memory {
        try await perform(.readMemory, memories: [id]) { [self] work in
            let found: MemoryVersion
            if let version {
                guard let stored = try work.transaction.memory(id, version: version) else {
                    throw MemVaultError(.notFound, "memory \(id) has no version \(version)")
                }
                try confine(stored.record)
                found = stored
                work.detail = "version \(version)"
            } else {
                found = MemoryVersion(record: try governedCurrent(id, in: work), isCurrent: true)
            }
            let record = found.record
            work.subject = record.subject
            work.cube = record.cube
            // Opened before it is decided on: a decision never rests on clear fields edited outside MemVault.
            let memory = try open(record, current: found.isCurrent, in: work.transaction)
            let decision = work.decide(.read, record, governance: try work.governance(for: record))
            try work.require(decision)
            work.decision = AuditDecision(decision)
            work.returned = 1
            return memory
        }
    }

    /// Memories of a cube or a subject in id (creation) order, active ones unless `statuses` says otherwise.
    public func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus> = [.active], after cursor: String? = nil, limit: Int = 100
    ) async throws -> Page<Memory> {
        try limits.check(pageSize: limit)
        guard !statuses.isEmpty else { throw MemVaultError(.invalidArgument, "no statuses to list") }
        let after = try cursor.map { try MemoryID($0) }
        let (subject, cube): (SubjectID?, CubeID?) =
            switch scope {
            case .cube(let cube): (nil, cube)
            case .subject(let subject): (subject, nil)
            }
        return try await perform(.listMemories, subject: subject, cube: cube) { [self] work in
            // The scope itself is decided first, so an unknown category, missing consent or a forbidden role is
            // an explicit denial rather than an empty page; each memory is then decided on its own.
            switch scope {
            case .cube(let cube):
                let context = try cubeContext(cube, in: work.transaction)
                work.subject = context.record.subject
                try work.require(.read, subject: context.record.subject, cube: cube)
            case .subject(let subject):
                _ = try verifiedSubject(subject, in: work.transaction)
                try work.require(.read, subject: subject, cube: nil)
            }
            let records = try work.transaction.memories(scope, statuses: statuses, after: after, limit: limit + 1)
            var memories: [Memory] = []
            var withheld = WithheldTally()
            for record in records.prefix(limit) {
                // Every row is verified, withheld or not: an edited row fails the page rather than hiding.
                let memory = try open(record, current: true, in: work.transaction)
                let decision = work.decide(.read, record, governance: try work.governance(for: record))
                guard decision.isPermitted else {
                    withheld.add(decision)
                    continue
                }
                memories.append(memory)
            }
            work.memories = memories.map(\.id)
            work.returned = UInt64(memories.count)
            work.withheld = UInt64(withheld.count)
            // The cursor follows what was scanned, not what was returned, so withheld memories are not revisited.
            return Page(
                items: memories, nextCursor: records.count > limit ? records[limit - 1].id.rawValue : nil,
                withheld: withheld.summary)
        }
    }

    /// Stores a new version with `changes` applied; the previous version moves to the history, sealed again for
    /// its place there (a superseded version copied back as current fails to open).
    public func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory {
        guard !changes.isEmpty else { throw MemVaultError(.invalidArgument, "nothing to update") }
        if let content = changes.content { try limits.check(content: content) }
        if let tags = changes.tags { try limits.check(tags: tags) }
        if let attributes = changes.attributes { try limits.check(attributes: attributes) }
        if let category = changes.category { _ = try Token.validate(category, what: "category") }
        try limits.checkText(changes.sourceDetail, "source detail", limits.maximumDetailBytes)
        try limits.check(confidence: changes.confidence)
        return try await perform(.updateMemory, memories: [id]) { [self] work in
            let record = try governedCurrent(id, in: work)
            work.subject = record.subject
            work.cube = record.cube
            let payload = try openPayload(record, current: true, in: work.transaction)
            let (fields, nextPayload) = changes.applied(to: record.fields, payload, at: StoredTime(now: work.now))
            try limits.check(validFrom: fields.validFrom?.date, validUntil: fields.validUntil?.date)
            let context = try cubeContext(record.cube, in: work.transaction)
            try requireWritable(context)
            let decision = work.decide(.update, record, governance: try work.governance(for: record), fields: fields)
            try work.require(decision)
            work.decision = AuditDecision(decision)
            try checkQuotas(adding: 0, bytes: fields.contentSize - record.fields.contentSize, in: work.transaction)
            if let embedding = changes.embedding {
                try limits.check(embedding: embedding, dimension: context.embeddingDimension, what: "the embedding")
            }
            // The next version's embedding: the new one, else the current one carried over unless the content
            // changed (read before the replacement removes it).
            let embedding =
                try changes.embedding
                ?? (changes.content == nil
                    ? work.transaction.vector(of: id).map { try openVector($0, in: context) } : nil)
            let key = try keys.encryptionKey(tenant, owner: context.owner, encryptions: embedding == nil ? 2 : 3)
            let next = try sealed(
                MemoryRecord(
                    id: id, cube: record.cube, subject: record.subject, version: record.version + 1,
                    supersedes: record.version, fields: fields, keyVersion: key.version, payload: []),
                nextPayload, key: key, pseudonym: context.pseudonym, current: true)
            let superseded = try sealed(record, payload, key: key, pseudonym: context.pseudonym, current: false)
            guard try work.transaction.replaceCurrent(with: next, superseded: superseded) else {
                throw notFound(memory: id)
            }
            if context.embedder != nil { try work.transaction.countAwaitingEmbedding(1, in: record.cube) }
            try work.transaction.index(indexedDocuments([next], [nextPayload], in: context))
            try work.transaction.storeVectors(sealedVectors([next], [embedding], in: context, key: key))
            work.detail = "version \(next.version)"
            return Memory(record: next, payload: nextPayload)
        }
    }

    /// Archives the current version: it is kept, but no longer listed by default.
    public func archiveMemory(_ id: MemoryID) async throws -> Memory {
        try await perform(.archiveMemory, memories: [id]) { [self] work in
            var record = try governedCurrent(id, in: work)
            work.subject = record.subject
            work.cube = record.cube
            let payload = try openPayload(record, current: true, in: work.transaction)
            let context = try cubeContext(record.cube, in: work.transaction)
            try requireWritable(context)
            let decision = work.decide(.update, record, governance: try work.governance(for: record))
            try work.require(decision)
            work.decision = AuditDecision(decision)
            record.fields.status = .archived
            record.fields.updatedAt = StoredTime(now: work.now)
            let key = try keys.encryptionKey(tenant, owner: context.owner)
            let archived = try sealed(record, payload, key: key, pseudonym: context.pseudonym, current: true)
            guard try work.transaction.updateCurrent(archived) else { throw notFound(memory: id) }
            work.detail = "archived"
            return Memory(record: archived, payload: payload)
        }
    }

    /// Deletes a memory with every version. The current version is verified first: its clear fields are what the
    /// decision (and the legal-hold check) rests on.
    public func deleteMemory(_ id: MemoryID) async throws {
        try await perform(.deleteMemory, memories: [id]) { [self] work in
            let record = try governedCurrent(id, in: work)
            work.subject = record.subject
            work.cube = record.cube
            _ = try openPayload(record, current: true, in: work.transaction)
            try requireWritable(try cubeContext(record.cube, in: work.transaction))
            let decision = work.decide(.delete, record, governance: try work.governance(for: record))
            try work.require(decision)
            work.decision = AuditDecision(decision)
            guard try work.transaction.deleteMemory(id) else { throw notFound(memory: id) }
        }
        // Deleted means gone from the files too: no page, log frame or index segment keeps its bytes.
        try await storage.purgeDeleted()
    }

    /// Every version of a memory, oldest first: the lineage of the current one.
    public func history(_ id: MemoryID) async throws -> [Memory] {
        try await perform(.readHistory, memories: [id]) { [self] work in
            let versions = try work.transaction.history(id)
            guard let first = versions.first?.record else { throw notFound(memory: id) }
            try confine(first)
            try checkLineage(versions, of: id)
            work.subject = first.subject
            work.cube = first.cube
            let governance = try work.governance(for: first)
            var opened: [Memory] = []
            var denial: Decision?
            var permit: Decision?
            for version in versions {
                let memory = try open(version.record, current: version.isCurrent, in: work.transaction)
                let decision = work.decide(.read, version.record, governance: governance)
                guard decision.isPermitted else {
                    denial = denial ?? decision
                    continue
                }
                permit = permit ?? decision
                opened.append(memory)
            }
            if opened.isEmpty, let denial { try work.require(denial) }
            if let permit { work.decision = AuditDecision(permit) }
            work.returned = UInt64(opened.count)
            work.withheld = UInt64(versions.count - opened.count)
            work.detail = "history"
            return opened
        }
    }

    /// The current version with its governance, read in one go (see `TenantWork.prime`).
    func governedCurrent(_ id: MemoryID, in work: TenantWork) throws -> MemoryRecord {
        guard let governed = try work.transaction.governedMemory(id, purpose: work.purpose) else {
            throw notFound(memory: id)
        }
        // Before its governance is primed: that reads the memory's subject, which must be the confined one.
        try confine(governed.current)
        return try work.prime(governed)
    }

    func rolledBack(_ id: MemoryID, version: Int, superseded: Int) -> MemVaultError {
        MemVaultError(
            .integrity,
            "memory \(id) of tenant '\(tenant)' is at version \(version) but its history holds version \(superseded): "
                + "it was rolled back outside MemVault; not obeyed")
    }

    /// Versions 1…n without gaps, each superseding the one before, only the last one current.
    func checkLineage(_ versions: [MemoryVersion], of id: MemoryID) throws {
        for (index, version) in versions.enumerated() {
            let expected = index + 1
            guard version.record.version == expected, version.record.supersedes == (expected == 1 ? nil : expected - 1),
                version.isCurrent == (index == versions.count - 1)
            else {
                throw MemVaultError(
                    .integrity,
                    "the history of memory \(id) of tenant '\(tenant)' has a gap or a version out of place: it was "
                        + "modified outside MemVault; not obeyed")
            }
        }
    }
}

/// What a write's decision depends on besides governance.
private struct WriteKind: Hashable, Sendable {
    let category: String
    let type: MemoryType
    let source: SourceKind
}

extension TenantStore {
    /// Refuses a change to an installed memory module's memories (`read_only`): a module changes only by upgrade.
    func requireWritable(_ cube: CubeContext) throws {
        guard let module = cube.module else { return }
        throw MemVaultError(
            .readOnly,
            "cube \(cube.record.id) is the memory module '\(module.name)' \(module.version), which is read-only: "
                + "upgrade it to a new version, or uninstall it")
    }

    /// Refuses a write that would take the tenant past its quotas of memories or content bytes (`quota_exceeded`).
    /// Read in the write's unit of work, so concurrent writes cannot pass a quota together.
    func checkQuotas(adding memories: Int, bytes: Int, in transaction: any TenantTransaction) throws {
        let quotas = self.quotas
        guard quotas.maximumMemories != nil || quotas.maximumBytes != nil, memories > 0 || bytes > 0 else { return }
        let usage = try transaction.usage()
        if let maximum = quotas.maximumMemories, memories > 0, usage.memories + memories > maximum {
            throw MemVaultError(
                .quotaExceeded,
                "tenant '\(tenant)' holds \(usage.memories) memories and its quota is \(maximum): \(memories) more "
                    + "would pass it; delete memories or ask for a larger quota")
        }
        if let maximum = quotas.maximumBytes, bytes > 0, usage.bytes + bytes > maximum {
            throw MemVaultError(
                .quotaExceeded,
                "tenant '\(tenant)' holds \(usage.bytes) bytes of content and its quota is \(maximum): \(bytes) more "
                    + "would pass it; delete memories or ask for a larger quota")
        }
    }
}
