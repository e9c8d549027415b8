import Foundation
import MemVaultCrypto
public import MemVaultPolicy
import Synchronization

/// What every `TenantStore` of one tenant shares: storage, keys, the pseudonymizer, the policy and caches.
final class TenantResources: Sendable {
    let tenant: TenantID
    let storage: any TenantStorage
    let keys: KeyHierarchy
    let limits: StoreLimits
    let pseudonymizer: Pseudonymizer
    let policies: PolicyRegistry
    let policyName: String
    /// Cube owner and pseudonym, needed for every seal and open; cubes never change owner.
    let cubeContexts = Mutex([CubeID: CubeContext]())
    let subjectPseudonyms = Mutex([SubjectID: String]())
    let auditPseudonyms = Mutex([SubjectID: String]())

    init(
        storage: any TenantStorage, keys: KeyHierarchy, limits: StoreLimits, policies: PolicyRegistry,
        policyName: String
    ) throws {
        tenant = storage.tenant
        self.storage = storage
        self.keys = keys
        self.limits = limits
        self.policies = policies
        self.policyName = policyName
        pseudonymizer = try keys.pseudonymizer(storage.tenant)
    }
}

struct CubeContext: Sendable {
    let record: CubeRecord
    let pseudonym: String?
    var owner: DataKeyOwner { record.subject.map(DataKeyOwner.subject) ?? .tenant }
}

/// Everything one tenant can do with its subjects, cubes and memories, on behalf of one access context.
///
/// A `TenantStore` is bound to one tenant's storage and keys: an id that belongs to another tenant is not found,
/// exactly like an id that never existed. Every operation is decided by the tenant's policy for the context's role
/// and purpose, with the subject's consent and any legal hold looked up for that very request. Content and metadata
/// are sealed here, before storage sees them, and opened here, only after the policy permitted it.
public final class TenantStore: Sendable {
    public let tenant: TenantID
    public let context: AccessContext
    let resources: TenantResources

    init(resources: TenantResources, context: AccessContext) {
        tenant = resources.tenant
        self.resources = resources
        self.context = context
    }

    var storage: any TenantStorage { resources.storage }
    var keys: KeyHierarchy { resources.keys }
    private var limits: StoreLimits { resources.limits }
    private var pseudonymizer: Pseudonymizer { resources.pseudonymizer }

    // MARK: - Subjects

    /// The subject known to the tenant by `externalID`, created (with its own data key) if `create` and new.
    /// The external id is stored only sealed under the subject's key; lookups use its keyed pseudonym.
    public func resolveSubject(externalID: String, create: Bool = true) async throws -> Subject {
        try await audited("subject") { try await resolveSubjectAudited(externalID: externalID, create: create) }
    }

    private func resolveSubjectAudited(externalID: String, create: Bool) async throws -> Subject {
        let decision = try requireRole([.application, .dataProtectionOfficer, .administrator], "resolve subjects")
        guard !externalID.isEmpty else { throw MemVaultError(.invalidArgument, "the external subject id is empty") }
        try limits.checkText(externalID, "the external subject id", limits.maximumExternalIDBytes)
        let pseudonym = try pseudonymizer.pseudonym(forExternalID: externalID)
        if let record = try await storage.subject(pseudonym: pseudonym) {
            try await storage.appendAudit(
                draft("subject", subject: record.id, decision: decision, returned: 1, detail: "resolved"))
            return Subject(record)
        }
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
            try await storage.insertSubject(
                record, audit: draft("subject", subject: id, decision: decision, detail: "created"))
        } catch let error as MemVaultError where error.code == .conflict {
            // Another request created the same subject first: drop this key and use theirs.
            _ = try? keys.destroyDataKeys(tenant, owner: .subject(id))
            if let winner = try await storage.subject(pseudonym: pseudonym) {
                try await storage.appendAudit(
                    draft("subject", subject: winner.id, decision: decision, returned: 1, detail: "resolved"))
                return Subject(winner)
            }
            throw error
        }
        resources.subjectPseudonyms.withLock { $0[id] = pseudonym }
        return Subject(record)
    }

    public func subject(_ id: SubjectID) async throws -> Subject {
        try await audited("subject", subject: id) {
            let decision = try requireRole([.application, .dataProtectionOfficer, .administrator], "look up subjects")
            let record = try await subjectRecord(id)
            try await storage.appendAudit(draft("subject", subject: id, decision: decision, returned: 1))
            return Subject(record)
        }
    }

    /// The tenant's external id for a subject, decrypted: only for callers entitled to see it.
    public func externalID(of id: SubjectID) async throws -> String {
        try await audited("read", subject: id) { try await externalIDAudited(of: id) }
    }

    private func externalIDAudited(of id: SubjectID) async throws -> String {
        let record = try await subjectRecord(id)
        let decision = try await require(.read, category: nil, subject: id, cube: nil)
        try await storage.appendAudit(
            draft("read", subject: id, decision: decision, returned: 1, detail: "external id"))
        let plaintext = try openSealed(
            record.externalID, owner: .subject(id), keyVersion: record.keyVersion,
            associatedData: subjectBinding(id, keyVersion: record.keyVersion), what: "subject \(id)")
        return String(decoding: plaintext, as: UTF8.self)
    }

    // MARK: - Cubes

    public func createCube(_ new: NewCube) async throws -> MemCube {
        let owner: SubjectID? = if case .subject(let subject) = new.owner { subject } else { nil }
        return try await audited("write", subject: owner) { try await createCubeAudited(new) }
    }

    private func createCubeAudited(_ new: NewCube) async throws -> MemCube {
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
        let decision = try await require(.write, category: category, subject: subject, cube: nil)
        let id = try CubeID.make()
        let key = try keys.encryptionKey(tenant, owner: owner)
        let created = StoredTime(now: .now)
        let metadata = try Envelope.seal(
            PayloadCodec.encode(CubeMetadata(name: new.name, provenance: new.provenance)), with: key,
            associatedData: cubeBinding(id, pseudonym: pseudonym, keyVersion: key.version))
        let record = CubeRecord(
            id: id, subject: subject, kind: kind, defaultCategory: category, schemaVersion: MemCube.schemaVersion,
            metadata: metadata.bytes, keyVersion: key.version, createdAt: created, updatedAt: created)
        try await storage.insertCube(
            record, audit: draft("write", subject: subject, cube: id, decision: decision, detail: "cube created"))
        resources.cubeContexts.withLock { $0[id] = CubeContext(record: record, pseudonym: pseudonym) }
        return MemCube(
            id: id, subject: subject, name: new.name, kind: kind, defaultCategory: category,
            provenance: new.provenance, schemaVersion: MemCube.schemaVersion, createdAt: created.date,
            updatedAt: created.date)
    }

    public func cube(_ id: CubeID) async throws -> MemCube {
        try await audited("read", cube: id) {
            let context = try await cubeContext(id)
            let decision = try await require(.read, category: nil, subject: context.record.subject, cube: id)
            let cube = try openCube(context)
            try await storage.appendAudit(
                draft(
                    "read", subject: context.record.subject, cube: id, decision: decision, returned: 1,
                    detail: "cube metadata"))
            return cube
        }
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
        var withheld = WithheldTally()
        for record in records.prefix(limit) {
            let decision = try await decide(.read, category: nil, subject: record.subject, cube: record.id)
            guard decision.isPermitted else {
                withheld.add(decision)
                continue
            }
            cubes.append(try openCube(try await context(for: record)))
        }
        try await storage.appendAudit(
            draft(
                "read", subject: owner.flatMap { if case .subject(let subject) = $0 { subject } else { nil } },
                decision: withheld.count == records.prefix(limit).count && !records.isEmpty
                    ? withheld.auditDecision : permittedDecision(),
                returned: UInt64(cubes.count), withheld: UInt64(withheld.count),
                detail: "cube list: " + cubes.map(\.id.rawValue).joined(separator: " ")))
        return Page(
            items: cubes, nextCursor: records.count > limit ? records[limit - 1].id.rawValue : nil,
            withheld: withheld.summary)
    }

    /// Deletes the cube, its memories and their history.
    public func deleteCube(_ id: CubeID) async throws {
        try await audited("delete", cube: id) {
            let context = try await cubeContext(id)
            let decision = try await require(.delete, category: nil, subject: context.record.subject, cube: id)
            let audit = try await draft(
                "delete", subject: context.record.subject, cube: id, decision: decision, detail: "cube deleted")
            guard try await storage.deleteCube(id, audit: audit) else { throw notFound(cube: id) }
        }
        _ = resources.cubeContexts.withLock { $0.removeValue(forKey: id) }
    }

    // MARK: - Memories

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

    // MARK: - Consent

    /// Records the subject's consent state for a purpose of the tenant's policy, with optional evidence (sealed
    /// under the subject's key). A withdrawal takes effect for the very next request.
    @discardableResult
    public func setConsent(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String? = nil
    ) async throws -> ConsentRecord {
        try await audited("consent", subject: subject) {
            try await setConsentAudited(state, subject: subject, purpose: purpose, evidence: evidence)
        }
    }

    private func setConsentAudited(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String?
    ) async throws -> ConsentRecord {
        let decision = try requireRole([.application, .dataProtectionOfficer], "record consent")
        let engine = try engine()
        guard engine.policy.purposes[purpose] != nil else {
            throw MemVaultError(
                .invalidArgument,
                "unknown purpose '\(purpose.prefix(64))'; the policy '\(engine.policy.name)' declares: "
                    + engine.policy.purposes.keys.sorted().joined(separator: ", "))
        }
        try limits.checkText(evidence, "consent evidence", limits.maximumDetailBytes)
        _ = try await subjectRecord(subject)
        let id = try SortableIdentifier.make(prefix: "cns_")
        var sealed: Envelope?
        if let evidence {
            let key = try keys.encryptionKey(tenant, owner: .subject(subject))
            sealed = try Envelope.seal(
                Array(evidence.utf8), with: key,
                associatedData: evidenceBinding(subject: subject, change: id, keyVersion: key.version))
        }
        let record = ConsentChangeRecord(
            id: id, subject: subject, purpose: purpose, state: state.rawValue, changedAt: StoredTime(now: .now),
            actor: context.actor, evidence: sealed?.bytes, keyVersion: sealed?.keyVersion)
        try await storage.recordConsent(
            record,
            audit: draft("consent", subject: subject, decision: decision, detail: "\(purpose): \(state.rawValue)"))
        return ConsentRecord(
            subject: subject, purpose: purpose, state: state, changedAt: record.changedAt.date, actor: context.actor,
            evidence: evidence)
    }

    /// Every consent change of the subject, oldest first; the last one per purpose is in force.
    public func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord] {
        try await audited("consent", subject: subject) { try await consentHistoryAudited(of: subject) }
    }

    private func consentHistoryAudited(of subject: SubjectID) async throws -> [ConsentRecord] {
        let decision = try requireRole([.application, .dataProtectionOfficer], "read consent records")
        _ = try await subjectRecord(subject)
        let history = try await storage.consentHistory(subject: subject)
        try await storage.appendAudit(
            draft("consent", subject: subject, decision: decision, returned: UInt64(history.count), detail: "history"))
        return try history.map { change in
            guard let state = ConsentState(rawValue: change.state) else {
                throw MemVaultError(.integrity, "a consent record of subject \(subject) has an unknown state")
            }
            var evidence: String?
            if let sealed = change.evidence, let version = change.keyVersion {
                evidence = String(
                    decoding: try openSealed(
                        sealed, owner: .subject(subject), keyVersion: version,
                        associatedData: evidenceBinding(subject: subject, change: change.id, keyVersion: version),
                        what: "consent evidence \(change.id)"),
                    as: UTF8.self)
            }
            return ConsentRecord(
                subject: subject, purpose: change.purpose, state: state, changedAt: change.changedAt.date,
                actor: change.actor, evidence: evidence)
        }
    }

    // MARK: - Legal holds

    /// Puts a subject or a cube under legal hold: deletion, erasure and retention stop applying to it until cleared.
    public func setHold(on target: HoldTarget, reason: String) async throws -> LegalHold {
        try await audited("hold", subject: target.subject, cube: target.cube) {
            try await setHoldAudited(on: target, reason: reason)
        }
    }

    private func setHoldAudited(on target: HoldTarget, reason: String) async throws -> LegalHold {
        let decision = try requireRole([.administrator, .dataProtectionOfficer], "set legal holds")
        guard !reason.isEmpty else { throw MemVaultError(.invalidArgument, "a legal hold needs a reason") }
        try limits.checkText(reason, "the hold reason", limits.maximumDetailBytes)
        switch target {
        case .subject(let subject): _ = try await subjectRecord(subject)
        case .cube(let cube): _ = try await cubeContext(cube)
        }
        let id = try SortableIdentifier.make(prefix: "hold_")
        let key = try keys.encryptionKey(tenant, owner: .tenant)
        let record = LegalHoldRecord(
            id: id, target: target,
            reason: try Envelope.seal(
                Array(reason.utf8), with: key, associatedData: holdBinding(id, keyVersion: key.version)
            ).bytes,
            keyVersion: key.version, setBy: context.actor, setAt: StoredTime(now: .now), clearedBy: nil, clearedAt: nil)
        try await storage.insertHold(
            record,
            audit: draft("hold", subject: target.subject, cube: target.cube, decision: decision, detail: "set \(id)"))
        return try openHold(record)
    }

    public func clearHold(_ id: String) async throws -> LegalHold {
        try await audited("hold") { try await clearHoldAudited(id) }
    }

    private func clearHoldAudited(_ id: String) async throws -> LegalHold {
        let decision = try requireRole([.administrator, .dataProtectionOfficer], "clear legal holds")
        let audit = try await draft("hold", decision: decision, detail: "cleared \(id.prefix(40))")
        guard try await storage.clearHold(id, by: context.actor, at: StoredTime(now: .now), audit: audit) else {
            throw MemVaultError(.notFound, "no active legal hold '\(id.prefix(40))' in tenant '\(tenant)'")
        }
        guard let record = try await storage.holds(includeCleared: true).first(where: { $0.id == id }) else {
            throw MemVaultError(.notFound, "legal hold '\(id.prefix(40))' vanished")
        }
        return try openHold(record)
    }

    public func holds(includeCleared: Bool = false) async throws -> [LegalHold] {
        try await audited("hold") {
            let decision = try requireRole([.administrator, .dataProtectionOfficer], "list legal holds")
            let holds = try await storage.holds(includeCleared: includeCleared).map(openHold)
            try await storage.appendAudit(
                draft("hold", decision: decision, returned: UInt64(holds.count), detail: "list"))
            return holds
        }
    }

    private func openHold(_ record: LegalHoldRecord) throws -> LegalHold {
        let reason = try openSealed(
            record.reason, owner: .tenant, keyVersion: record.keyVersion,
            associatedData: holdBinding(record.id, keyVersion: record.keyVersion), what: "legal hold \(record.id)")
        return LegalHold(
            id: record.id, target: record.target, reason: String(decoding: reason, as: UTF8.self), setBy: record.setBy,
            setAt: record.setAt.date, clearedBy: record.clearedBy, clearedAt: record.clearedAt?.date)
    }

    // MARK: - Policy decisions

    /// What a decision depends on beyond the request itself, looked up afresh for every request.
    struct Governance {
        let consent: ConsentState
        let held: Bool
    }

    private func engine() throws -> PolicyEngine {
        try resources.policies.engine(resources.policyName)
    }

    /// The subject's consent for this context's purpose, and whether a hold applies to the subject or the cubes.
    /// Any failure here fails the request: a policy that cannot be evaluated denies.
    private func governance(subject: SubjectID?, cubes: [CubeID]) async throws -> Governance {
        let targets = cubes.map(HoldTarget.cube) + (subject.map { [HoldTarget.subject($0)] } ?? [])
        let stored = try await storage.governance(subject: subject, purpose: context.purpose, holdTargets: targets)
        return try governance(consent: stored.consent, held: stored.held)
    }

    private func governance(consent raw: String?, held: Bool) throws -> Governance {
        var consent = ConsentState.unknown
        if let raw {
            guard let state = ConsentState(rawValue: raw) else {
                throw MemVaultError(.integrity, "a consent record of tenant '\(tenant)' has an unknown state")
            }
            consent = state
        }
        return Governance(consent: consent, held: held)
    }

    private func decide(
        _ action: Action, category: String?, governance: Governance, type: MemoryType? = nil,
        source: SourceKind? = nil, storedAt: StoredTime? = nil
    ) throws -> Decision {
        try engine().decide(
            AccessRequest(
                action: action, role: context.role, purpose: context.purpose, category: category,
                consent: governance.consent, legalHold: governance.held, memoryType: type?.rawValue,
                source: source?.rawValue, storedAt: storedAt?.date, now: .now))
    }

    private func decide(
        _ action: Action, category: String?, subject: SubjectID?, cube: CubeID?
    ) async throws -> Decision {
        try decide(
            action, category: category,
            governance: try await governance(subject: subject, cubes: cube.map { [$0] } ?? []))
    }

    /// The decision for `action` on a stored memory; retention and erasure exceptions run from its creation.
    private func decide(
        _ action: Action, _ record: MemoryRecord, governance: Governance, category: String? = nil,
        type: MemoryType? = nil, source: SourceKind? = nil
    ) throws -> Decision {
        try decide(
            action, category: category ?? record.category, governance: governance, type: type ?? record.type,
            source: source ?? record.source, storedAt: record.createdAt)
    }

    private func decide(
        _ action: Action, _ record: MemoryRecord, category: String? = nil, type: MemoryType? = nil,
        source: SourceKind? = nil
    ) async throws -> Decision {
        try decide(
            action, record, governance: try await governance(subject: record.subject, cubes: [record.cube]),
            category: category, type: type, source: source)
    }

    /// Throws a `PolicyDenial` (recorded in the audit log by `audited`) unless `decision` permits.
    private func require(_ decision: Decision, subject: SubjectID? = nil, cube: CubeID? = nil) throws {
        guard decision.isPermitted else {
            throw PolicyDenial(
                decision: AuditDecision(decision), subject: subject, cube: cube,
                message: "denied by policy '\(resources.policyName)' (\(decision.ruleIDs.joined(separator: ", "))): "
                    + decision.reason)
        }
    }

    @discardableResult
    private func require(
        _ action: Action, category: String?, subject: SubjectID?, cube: CubeID?
    ) async throws -> Decision {
        let decision = try await decide(action, category: category, subject: subject, cube: cube)
        try require(decision, subject: subject, cube: cube)
        return decision
    }

    /// Operations outside the policy's actions (identity, consent, holds) are confined to roles.
    @discardableResult
    func requireRole(_ roles: Set<Role>, _ what: String) throws -> AuditDecision {
        guard roles.contains(context.role) else {
            throw PolicyDenial(
                decision: AuditDecision(effect: "deny", ruleIDs: ["memvault:role"], policyRevision: ""),
                subject: nil, cube: nil,
                message: "role \(context.role.rawValue) may not \(what); allowed: "
                    + roles.map(\.rawValue).sorted().joined(separator: ", "))
        }
        return .role(context.role.rawValue)
    }

    // MARK: - Audit

    /// Runs an operation; if the policy denies it, the denial is recorded in the audit log first (fail closed: if
    /// that entry cannot be written, the error says so) and surfaces as a `denied` error.
    func audited<T>(
        _ action: String, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = [],
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let denial as PolicyDenial {
            try await storage.appendAudit(
                draft(
                    action, subject: denial.subject ?? subject, cube: denial.cube ?? cube, memories: memories,
                    decision: denial.decision))
            throw MemVaultError(.denied, denial.message)
        }
    }

    func draft(
        _ action: String, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = [],
        decision: AuditDecision, returned: UInt64 = 0, withheld: UInt64 = 0, detail: String? = nil
    ) async throws -> AuditDraft {
        AuditDraft(
            actor: context.actor, role: context.role.rawValue, action: action, purpose: context.purpose,
            subject: try auditPseudonym(subject), cube: cube?.rawValue, memories: memories.map(\.rawValue),
            decision: decision, returned: returned, withheld: withheld, detail: detail)
    }

    func draft(
        _ action: String, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = [],
        decision: Decision, returned: UInt64 = 0, withheld: UInt64 = 0, detail: String? = nil
    ) async throws -> AuditDraft {
        try await draft(
            action, subject: subject, cube: cube, memories: memories, decision: AuditDecision(decision),
            returned: returned, withheld: withheld, detail: detail)
    }

    private func recordRead(_ record: MemoryRecord, _ decision: Decision, detail: String? = nil) async throws {
        try await storage.appendAudit(
            draft(
                "read", subject: record.subject, cube: record.cube, memories: [record.id],
                decision: AuditDecision(decision), returned: 1, detail: detail))
    }

    /// The subject as the audit log names it: its audit pseudonym, never its ids.
    func auditPseudonym(_ subject: SubjectID?) throws -> String? {
        guard let subject else { return nil }
        if let cached = resources.auditPseudonyms.withLock({ $0[subject] }) { return cached }
        let pseudonym = try keys.auditPseudonym(tenant, subject: subject)
        resources.auditPseudonyms.withLock { $0[subject] = pseudonym }
        return pseudonym
    }

    private func permittedDecision() throws -> AuditDecision {
        AuditDecision(effect: "permit", ruleIDs: [], policyRevision: try engine().revision)
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

    private func evidenceBinding(subject: SubjectID, change: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.consent.v1").with("tenant", tenant.rawValue)
            .with("subject", subject.rawValue).with("change", change).with("key-version", keyVersion).bytes
    }

    private func holdBinding(_ hold: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.hold.v1").with("tenant", tenant.rawValue).with("hold", hold)
            .with("key-version", keyVersion).bytes
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
        if let cached = resources.subjectPseudonyms.withLock({ $0[subject] }) { return cached }
        let pseudonym = try await subjectRecord(subject).pseudonym
        resources.subjectPseudonyms.withLock { $0[subject] = pseudonym }
        return pseudonym
    }

    private func cubeContext(_ id: CubeID) async throws -> CubeContext {
        if let cached = resources.cubeContexts.withLock({ $0[id] }) { return cached }
        guard let record = try await storage.cube(id) else { throw notFound(cube: id) }
        return try await context(for: record)
    }

    private func context(for record: CubeRecord) async throws -> CubeContext {
        let context = CubeContext(record: record, pseudonym: try await pseudonym(of: record.subject))
        resources.cubeContexts.withLock { $0[record.id] = context }
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

/// Groups withheld items by the rules that denied them, keeping the first reason as the example.
struct WithheldTally {
    private var groups: [[String]: (count: Int, reason: String)] = [:]

    mutating func add(_ decision: Decision) {
        groups[decision.ruleIDs, default: (0, decision.reason)].count += 1
    }

    var count: Int { groups.values.reduce(0) { $0 + $1.count } }

    /// For a listing that withheld everything, the decision that withheld it (the largest group).
    var auditDecision: AuditDecision {
        let top = groups.max { $0.value.count < $1.value.count }
        return AuditDecision(effect: "deny", ruleIDs: top?.key ?? [], policyRevision: "")
    }

    var summary: [Withheld] {
        groups.map { Withheld(count: $0.value.count, ruleIDs: $0.key, reason: $0.value.reason) }
            .sorted { $0.ruleIDs.lexicographicallyPrecedes($1.ruleIDs) }
    }
}

/// What a write's decision depends on besides governance.
private struct WriteKind: Hashable, Sendable {
    let category: String
    let type: MemoryType
    let source: SourceKind
}

/// A policy or role denial on its way to the audit log.
struct PolicyDenial: Error {
    let decision: AuditDecision
    let subject: SubjectID?
    let cube: CubeID?
    let message: String
}

extension AuditDecision {
    init(_ decision: Decision) {
        self.init(effect: decision.effect.rawValue, ruleIDs: decision.ruleIDs, policyRevision: decision.policyRevision)
    }
}

extension HoldTarget {
    var subject: SubjectID? { if case .subject(let subject) = self { subject } else { nil } }
    var cube: CubeID? { if case .cube(let cube) = self { cube } else { nil } }
}
