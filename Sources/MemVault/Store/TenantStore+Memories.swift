import Foundation
import MemVaultCrypto
import MemVaultPolicy

/// Memories: adding, reading, listing, updating, archiving, deleting and their history.
extension TenantStore {
    public func addMemory(_ memory: NewMemory, to cube: CubeID) async throws -> Memory {
        try await addMemories([memory], to: cube)[0]
    }

    /// Adds memories to one cube in one transaction: all are stored, or none.
    public func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory] {
        try await audited("write", cube: cubeID) { try await addMemoriesAudited(memories, to: cubeID) }
    }

    private func addMemoriesAudited(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory] {
        guard !memories.isEmpty else { throw MemVaultError(.invalidArgument, "no memories to add") }
        try limits.check(batch: memories.count)
        for memory in memories { try limits.check(memory) }
        let cube = try await cubeContext(cubeID)
        // A write's decision depends only on category, type and source: decide each combination once, inside the
        // write's own transaction (see `GovernanceCheck`).
        let requests = Array(
            Set(
                memories.map {
                    WriteKind(category: $0.category ?? cube.record.defaultCategory, type: $0.type, source: $0.source)
                }))
        let check = GovernanceCheck(
            subject: cube.record.subject, purpose: context.purpose,
            holdTargets: [.cube(cubeID)] + (cube.record.subject.map { [HoldTarget.subject($0)] } ?? [])
        ) { [self] consent, held in
            let governance = try self.governance(consent: consent, held: held)
            var rules: Set<String> = []
            var revision = ""
            for request in requests {
                let decision = try self.decide(
                    .write, category: request.category, governance: governance, type: request.type,
                    source: request.source)
                try self.require(decision, subject: cube.record.subject, cube: cubeID)
                rules.formUnion(decision.ruleIDs)
                revision = decision.policyRevision
            }
            return AuditDecision(effect: "permit", ruleIDs: rules.sorted(), policyRevision: revision)
        }
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
        try await storage.insertMemories(
            records, check: check,
            audit: draft(
                "write", subject: cube.record.subject, cube: cubeID, memories: records.map(\.id),
                decision: permittedDecision()))
        return added
    }

    /// The current version, or a given one.
    public func memory(_ id: MemoryID, version: Int? = nil) async throws -> Memory {
        try await audited("read", memories: [id]) { try await memoryAudited(id, version: version) }
    }

    private func memoryAudited(_ id: MemoryID, version: Int?) async throws -> Memory {
        if version == nil {
            // The common case reads the memory and what its decision needs in one transaction.
            guard let found = try await storage.memoryWithGovernance(id, purpose: context.purpose) else {
                throw notFound(memory: id)
            }
            let decision = try decide(
                .read, found.record, governance: try governance(consent: found.consent, held: found.held))
            try require(decision, subject: found.record.subject, cube: found.record.cube)
            let memory = try await open(found.record)
            try await recordRead(found.record, decision)
            return memory
        }
        let record =
            if let version {
                try await storage.memory(id, version: version)
            } else {
                try await storage.memory(id)
            }
        guard let record else {
            throw version.map { MemVaultError(.notFound, "memory \(id) has no version \($0)") } ?? notFound(memory: id)
        }
        let decision = try await decide(.read, record)
        try require(decision, subject: record.subject, cube: record.cube)
        let memory = try await open(record)
        try await recordRead(record, decision, detail: "version \(record.version)")
        return memory
    }

    /// Memories of a cube or a subject in id (creation) order, active ones unless `statuses` says otherwise.
    public func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus> = [.active], after cursor: String? = nil, limit: Int = 100
    ) async throws -> Page<Memory> {
        let (subject, cube): (SubjectID?, CubeID?) =
            switch scope {
            case .cube(let cube): (nil, cube)
            case .subject(let subject): (subject, nil)
            }
        return try await audited("read", subject: subject, cube: cube) {
            try await memoriesAudited(in: scope, statuses: statuses, after: cursor, limit: limit)
        }
    }

    private func memoriesAudited(
        in scope: MemoryScope, statuses: Set<MemoryStatus>, after cursor: String?, limit: Int
    ) async throws -> Page<Memory> {
        try limits.check(pageSize: limit)
        guard !statuses.isEmpty else { throw MemVaultError(.invalidArgument, "no statuses to list") }
        let after = try cursor.map { try MemoryID($0) }
        // The scope itself is decided first, so an unknown purpose, missing consent or a forbidden role is an
        // explicit denial rather than an empty page; each memory is then decided on its own.
        let scopeDecision: Decision
        var scopeSubject: SubjectID?
        var scopeCube: CubeID?
        switch scope {
        case .cube(let cube):
            let context = try await cubeContext(cube)
            scopeSubject = context.record.subject
            scopeCube = cube
            scopeDecision = try await require(.read, category: nil, subject: context.record.subject, cube: cube)
        case .subject(let subject):
            _ = try await subjectRecord(subject)
            scopeSubject = subject
            scopeDecision = try await require(.read, category: nil, subject: subject, cube: nil)
        }
        let records = try await storage.memories(scope, statuses: statuses, after: after, limit: limit + 1)
        var memories: [Memory] = []
        var withheld = WithheldTally()
        var governanceByCube: [CubeID: Governance] = [:]
        for record in records.prefix(limit) {
            let governance: Governance
            if let known = governanceByCube[record.cube] {
                governance = known
            } else {
                governance = try await self.governance(subject: record.subject, cubes: [record.cube])
                governanceByCube[record.cube] = governance
            }
            let decision = try decide(.read, record, governance: governance)
            guard decision.isPermitted else {
                withheld.add(decision)
                continue
            }
            memories.append(try await open(record))
        }
        try await storage.appendAudit(
            draft(
                "read", subject: scopeSubject, cube: scopeCube, memories: memories.map(\.id),
                decision: AuditDecision(scopeDecision), returned: UInt64(memories.count),
                withheld: UInt64(withheld.count)))
        // The cursor follows what was scanned, not what was returned, so withheld memories are not revisited.
        return Page(
            items: memories, nextCursor: records.count > limit ? records[limit - 1].id.rawValue : nil,
            withheld: withheld.summary)
    }

    /// Stores a new version with `changes` applied; the previous version stays in the history.
    public func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory {
        try await audited("update", memories: [id]) { try await updateMemoryAudited(id, changes) }
    }

    private func updateMemoryAudited(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory {
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
            let decision = try await decide(
                .update, record, category: changes.category ?? record.category, type: changes.type ?? record.type,
                source: changes.source ?? record.source)
            try require(decision, subject: record.subject, cube: record.cube)
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
            let audit = try await draft(
                "update", subject: record.subject, cube: record.cube, memories: [id], decision: AuditDecision(decision),
                detail: "version \(version)")
            if try await storage.replaceMemory(next, audit: audit) { return Memory(record: next, payload: payload) }
        }
        throw MemVaultError(.conflict, "memory \(id) is being updated concurrently; try again")
    }

    /// Archives the current version: it is kept, but no longer listed by default.
    public func archiveMemory(_ id: MemoryID) async throws -> Memory {
        try await audited("update", memories: [id]) {
            guard let record = try await storage.memory(id) else { throw notFound(memory: id) }
            let decision = try await decide(.update, record)
            try require(decision, subject: record.subject, cube: record.cube)
            let audit = try await draft(
                "update", subject: record.subject, cube: record.cube, memories: [id], decision: AuditDecision(decision),
                detail: "archived")
            guard try await storage.setStatus(id, .archived, updatedAt: StoredTime(now: .now), audit: audit) else {
                throw notFound(memory: id)
            }
            return try await memoryAudited(id, version: nil)
        }
    }

    /// Deletes a memory with every version.
    public func deleteMemory(_ id: MemoryID) async throws {
        try await audited("delete", memories: [id]) {
            guard let record = try await storage.memory(id) else { throw notFound(memory: id) }
            let decision = try await decide(.delete, record)
            try require(decision, subject: record.subject, cube: record.cube)
            let audit = try await draft(
                "delete", subject: record.subject, cube: record.cube, memories: [id], decision: AuditDecision(decision))
            guard try await storage.deleteMemory(id, audit: audit) else { throw notFound(memory: id) }
        }
    }

    /// Every version of a memory, oldest first: the lineage of the current one.
    public func history(_ id: MemoryID) async throws -> [Memory] {
        try await audited("read", memories: [id]) { try await historyAudited(id) }
    }

    private func historyAudited(_ id: MemoryID) async throws -> [Memory] {
        let records = try await storage.history(id)
        guard let first = records.first else { throw notFound(memory: id) }
        let governance = try await governance(subject: first.subject, cubes: [first.cube])
        var versions: [Memory] = []
        var denial: Decision?
        var permit: Decision?
        for record in records {
            let decision = try decide(.read, record, governance: governance)
            guard decision.isPermitted else {
                denial = denial ?? decision
                continue
            }
            permit = permit ?? decision
            versions.append(try await open(record))
        }
        if versions.isEmpty, let denial { try require(denial, subject: first.subject, cube: first.cube) }
        try await storage.appendAudit(
            draft(
                "read", subject: first.subject, cube: first.cube, memories: [id],
                decision: permit.map(AuditDecision.init) ?? permittedDecision(), returned: UInt64(versions.count),
                withheld: UInt64(records.count - versions.count), detail: "history"))
        return versions
    }
}
