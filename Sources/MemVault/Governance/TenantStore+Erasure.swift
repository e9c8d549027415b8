import Foundation
import Logging
import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// Where a running erasure stands, for progress output.
public struct ErasureProgress: Sendable, Equatable {
    public let request: String
    public let step: ErasureRequest.Step
    public let erased: Int
    public let retained: Int

    public init(request: String, step: ErasureRequest.Step, erased: Int, retained: Int) {
        self.request = request
        self.step = step
        self.erased = erased
        self.retained = retained
    }
}

/// Right-to-be-forgotten requests (GDPR Art. 17): filed by the data-protection officer, carried out in units of work
/// that are each decided, done and recorded, resumable after a crash at any point, and closed by a signed receipt.
///
/// A full erasure removes every memory of the subject (every version, index entry and embedding), its cubes, its
/// consent records with their evidence, the holds and restrictions that once named it and its identity; then
/// destroys its data keys, which also makes its blind index terms and audit pseudonym unlinkable (crypto-shredding),
/// and cleans the storage files. A category the policy must keep (Art. 17(3)) is kept and restricted to the purposes
/// its exception names (Art. 18); an active legal hold blocks the request.
extension TenantStore {
    // MARK: - Filing

    /// Files a request to erase the subject (everything, or the memories of `categories`). Idempotent: while the
    /// subject has an open request for the same scope, that request is returned; another scope is a conflict.
    public func requestErasure(
        of subject: SubjectID, categories: [String]? = nil, requester: ErasureRequest.Requester,
        ground: ErasureRequest.Ground
    ) async throws -> ErasureRequest {
        let policy = try engine().policy
        let categories = try categories.map { list in
            guard !list.isEmpty else {
                throw MemVaultError(.invalidArgument, "an erasure of some categories names at least one")
            }
            return try policy.declaredCategories(list)
        }
        let admission = try await admit(.requestErasure, subject: subject)
        let pseudonym = try auditPseudonym(subject)
        let id = try SortableIdentifier.make(prefix: "era_")
        let actor = context.actor
        return try await perform(admission, subject: subject) { [self] work in
            _ = try verifiedSubject(subject, in: work.transaction)
            if let open = try work.transaction.openErasureRequest(subject: subject) {
                let existing = try openErasure(open)
                guard existing.request.categories == categories else {
                    throw MemVaultError(
                        .conflict,
                        "the subject already has an open erasure request \(existing.request.id) with another scope: "
                            + "run it (`memvault erase run \(existing.request.id)`) before filing another")
                }
                work.detail = "erasure \(existing.request.id) already received"
                return existing.request
            }
            let request = ErasureRequest(
                id: id, subject: pseudonym, categories: categories, requester: requester, ground: ground,
                filedBy: actor, state: .received, step: .memories, rejection: nil, holds: [],
                receivedAt: storedTime(work.now), dueAt: storedTime(policy.erasure.deadline.added(to: work.now)),
                extended: false, startedAt: nil,
                completedAt: nil, erased: [:], retained: [], consentRecords: 0, cubes: 0, keysDestroyed: 0,
                completionEntry: nil, resumeAfter: nil)
            try work.transaction.insertErasureRequest(
                try sealedErasure(StoredErasure(request: request, subject: subject, receipt: nil)))
            work.detail = "erasure \(id) received"
            return request
        }
    }

    /// Art. 12(3): extends an open request's deadline by two months, once.
    public func extendErasure(_ id: String) async throws -> ErasureRequest {
        try checkErasureID(id)
        return try await perform(.extendErasure) { [self] work in
            var stored = try loadErasure(id, in: work)
            guard stored.request.state.isOpen else {
                throw MemVaultError(.invalidArgument, "erasure request \(id) is \(stored.request.state.rawValue)")
            }
            guard !stored.request.extended else {
                throw MemVaultError(
                    .invalidArgument, "erasure request \(id) was already extended (Art. 12(3) allows it once)")
            }
            stored.request.extended = true
            stored.request.dueAt = ISODuration("P2M")!.added(to: stored.request.dueAt)
            try saveErasure(stored, in: work)
            work.subjectPseudonym = stored.request.subject
            work.detail = "erasure \(id) extended"
            return stored.request
        }
    }

    // MARK: - Reading

    public func erasureRequest(_ id: String) async throws -> ErasureRequest {
        try checkErasureID(id)
        return try await perform(.readErasure) { [self] work in
            let stored = try loadErasure(id, in: work)
            work.subjectPseudonym = stored.request.subject
            work.returned = 1
            work.detail = "erasure \(id) status"
            return stored.request
        }
    }

    /// Every request, oldest first; `openOnly` keeps those received or in progress.
    public func erasureRequests(openOnly: Bool = false) async throws -> [ErasureRequest] {
        try await perform(.readErasure) { [self] work in
            var requests: [ErasureRequest] = []
            var after: String?
            while true {
                let page = try work.transaction.erasureRequests(after: after, limit: 500)
                requests += try page.filter { !openOnly || $0.state.isOpen }.map { try openErasure($0).request }
                guard page.count == 500 else { break }
                after = page.last?.id
            }
            work.returned = UInt64(requests.count)
            work.detail = "erasure list"
            return requests
        }
    }

    /// What `memvault erase run` without an id runs: every request received or in progress, and every one completed
    /// with exceptions of which an exception has since lapsed (what it kept may now be erased).
    public func erasureRequestsToRun() async throws -> [ErasureRequest] {
        let now = now()
        return try await erasureRequests().filter { request in
            request.state.isOpen
                || request.state == .completedWithExceptions
                    && request.retained.contains { $0.until.map { $0 <= now } ?? false }
        }
    }

    /// The signed receipt of a completed request (`notFound` until it has one).
    public func erasureReceipt(_ id: String) async throws -> ErasureReceipt {
        try checkErasureID(id)
        return try await perform(.readErasure) { [self] work in
            let stored = try loadErasure(id, in: work)
            guard let document = stored.receipt else {
                throw MemVaultError(
                    .notFound,
                    "erasure request \(id) has no receipt yet: it is \(stored.request.state.rawValue)"
                        + (stored.request.state.isOpen ? "; run it with `memvault erase run \(id)`" : ""))
            }
            work.subjectPseudonym = stored.request.subject
            work.returned = 1
            work.detail = "erasure \(id) receipt"
            do {
                return try JSONDecoder().decode(ErasureReceipt.self, from: Data(document))
            } catch {
                throw MemVaultError(.integrity, "the receipt of erasure request \(id) does not decode")
            }
        }
    }

    // MARK: - Running

    /// Carries out the request from wherever it stands (a run killed at any point resumes here): decides each
    /// memory in scope as an erasure, deletes it or keeps it under its exception, then (for a full erasure with
    /// nothing kept) the subject's records and keys, cleans the storage, records the completion and issues the
    /// receipt. A request already final is returned as it is. `progress` hears after every step and batch.
    public func runErasure(
        _ id: String, batch: Int = 500, progress: (ErasureProgress) -> Void = { _ in }
    ) async throws -> ErasureRequest {
        try checkErasureID(id)
        try limits.check(pageSize: batch)
        let admission = try await admit(.runErasure)
        var stored = try await startErasure(id, admission)
        func report() {
            progress(
                ErasureProgress(
                    request: id, step: stored.request.step, erased: stored.request.erasedTotal,
                    retained: stored.request.retained.reduce(0) { $0 + $1.count }))
        }
        report()
        while stored.request.state != .rejected, stored.request.step != .done {
            let before = (stored.request.step, stored.request.resumeAfter, stored.request.erasedTotal)
            switch stored.request.step {
            case .memories: stored = try await eraseMemories(id, admission, batch: batch)
            case .subjectRecords: stored = try await eraseSubjectRecords(id, admission)
            case .keys: stored = try await shredSubjectKeys(id, admission, subject: stored.subject)
            case .completion: stored = try await completeErasure(id, admission)
            case .receipt: stored = try await issueErasureReceipt(id, admission)
            case .done: break
            }
            // Every step moves the request on (a batch moves its cursor); one that does not would loop forever.
            guard (stored.request.step, stored.request.resumeAfter, stored.request.erasedTotal) != before else {
                throw MemVaultError(
                    .storage, "erasure request \(id) did not progress at step \(stored.request.step.rawValue)")
            }
            report()
        }
        if stored.request.step == .done {
            logger.info(
                "carried out an erasure request",
                metadata: [
                    "tenant": "\(tenant)", "request": "\(id)", "state": "\(stored.request.state.rawValue)",
                    "erased": "\(stored.request.erasedTotal)",
                ])
        }
        return stored.request
    }

    /// Moves a received request in progress, or rejects it if a legal hold covers the subject or its cubes.
    private func startErasure(_ id: String, _ admission: Admission) async throws -> StoredErasure {
        try await perform(admission) { [self] work in
            var stored = try loadErasure(id, in: work)
            work.subjectPseudonym = stored.request.subject
            // A request completed with exceptions is run again from the start: what an exception kept may have
            // become erasable (its keep-for lapsed, a hold was cleared), and once nothing is kept the subject goes.
            let reopening = stored.request.state == .completedWithExceptions && stored.subject != nil
            // The credential must be one the policy lets erase at all, before anything changes and whatever step a
            // resumed run is at. (The entry names the subject by the pseudonym kept in the request: its keys may
            // already be gone.)
            let permitted = work.decide(.erase, category: nil, governance: Governance(consent: .unknown, held: false))
            try work.require(permitted)
            work.decision = AuditDecision(permitted)
            guard stored.request.state == .received || reopening, let subject = stored.subject else {
                work.detail = "erasure \(id) resumed"
                return stored
            }
            work.subject = subject
            if reopening {
                stored.request.state = .inProgress
                stored.request.step = .memories
                stored.request.retained = []
                stored.request.resumeAfter = nil
                stored.request.completedAt = nil
                stored.request.completionEntry = nil
                stored.receipt = nil
                work.detail = "erasure \(id) reopened"
                try saveErasure(stored, in: work)
                return stored
            }
            let cubes = try allCubes(of: subject, in: work)
            let targets = Set([HoldTarget.subject(subject)] + cubes.map { HoldTarget.cube($0.id) })
            let holds = try work.currentMarkers().holds.filter { $0.isActive && targets.contains($0.target) }
            if holds.isEmpty {
                stored.request.state = .inProgress
                stored.request.startedAt = storedTime(work.now)
                work.detail = "erasure \(id) started"
            } else {
                stored.request.state = .rejected
                stored.request.rejection = .legalHold
                stored.request.holds = holds.map(\.id)
                stored.request.completedAt = storedTime(work.now)
                work.decision = AuditDecision(
                    effect: .deny, ruleIDs: ["memvault:legal-hold"], policyRevision: work.engine.revision)
                work.detail = "erasure \(id) rejected: legal hold"
            }
            try saveErasure(stored, in: work)
            return stored
        }
    }

    /// One batch of the subject's memories, in memory id order from where the last batch stopped: each verified
    /// (every version), decided as an erasure and deleted, or kept under an exception or a hold.
    private func eraseMemories(_ id: String, _ admission: Admission, batch: Int) async throws -> StoredErasure {
        let outcome = try await perform(admission) { [self] work -> (StoredErasure, erased: [MemoryID]) in
            var stored = try loadErasure(id, in: work)
            guard stored.request.step == .memories, let subject = stored.subject else { return (stored, []) }
            work.subject = subject
            let policy = work.engine.policy
            let records = try work.transaction.memories(
                .subject(subject), statuses: nil, after: stored.request.resumeAfter.map(MemoryID.init(unchecked:)),
                limit: batch)
            var erased: [MemoryID] = []
            var kept = 0
            for record in records {
                let category = record.fields.category
                guard stored.request.categories?.contains(category) ?? true else { continue }
                // Every version is verified before it goes; only an updated memory has superseded ones.
                try verifyPayload(record, current: true, in: work.transaction)
                if record.version > 1 {
                    for version in try work.transaction.history(record.id) where !version.isCurrent {
                        try verifyPayload(version.record, current: false, in: work.transaction)
                    }
                }
                let decision = work.decide(.erase, record, governance: try work.governance(for: record))
                if decision.isPermitted {
                    erased.append(record.id)
                    stored.request.erased[category, default: 0] += 1
                    work.decision = AuditDecision(decision)
                } else if decision.ruleIDs.contains("memvault:legal-hold") {
                    stored.request.keep(category, basis: "legal-hold", article: "Art. 17(3)(e)", until: nil, [])
                    kept += 1
                } else if decision.ruleIDs.contains("memvault:erasure-exception"),
                    let exception = policy.categories[category]?.erasureException
                {
                    stored.request.keep(
                        category, basis: exception.basis.rawValue, article: exception.basis.article,
                        until: exception.keepFor.added(to: record.fields.createdAt.date),
                        exception.purposes.sorted())
                    kept += 1
                } else {
                    // The policy does not let this credential erase: nothing of this batch is done.
                    try work.require(decision, subject: subject)
                }
            }
            guard try work.transaction.deleteMemories(erased) == erased.count else {
                throw MemVaultError(.conflict, "erasure request \(id): memories changed while they were erased")
            }
            stored.request.resumeAfter = records.last?.id.rawValue ?? stored.request.resumeAfter
            if records.count < batch {
                stored.request.resumeAfter = nil
                if stored.request.isFullErasure {
                    stored.request.step = .subjectRecords
                } else {
                    try restrictKept(&stored, subject: subject, in: work)
                    stored.request.step = .completion
                }
            }
            try saveErasure(stored, in: work)
            work.memories = erased
            work.returned = UInt64(erased.count)
            work.withheld = UInt64(kept)
            work.detail = "erasure \(id): memories"
            return (stored, erased)
        }
        if !outcome.erased.isEmpty { resources.vectorSets.withLock { $0.removeAll() } }
        return outcome.0
    }

    /// A full erasure's records beyond memories: its consent records with their evidence, and its emptied cubes;
    /// if nothing was kept, also the holds and restrictions that named it and the subject record itself.
    private func eraseSubjectRecords(_ id: String, _ admission: Admission) async throws -> StoredErasure {
        let stored = try await perform(admission) { [self] work in
            var stored = try loadErasure(id, in: work)
            guard stored.request.step == .subjectRecords, let subject = stored.subject else { return stored }
            work.subject = subject
            let keptAnything = !stored.request.retained.isEmpty
            var erasedCubes: Set<CubeID> = []
            for cube in try allCubes(of: subject, in: work) {
                guard try work.transaction.memories(.cube(cube.id), statuses: nil, after: nil, limit: 1).isEmpty
                else { continue }
                guard try work.transaction.deleteCube(cube.id) else { throw notFound(cube: cube.id) }
                erasedCubes.insert(cube.id)
            }
            stored.request.cubes += erasedCubes.count
            let markers = try work.currentMarkers()
            if keptAnything {
                stored.request.consentRecords += try work.transaction.deleteConsent(subject: subject)
                try restrictKept(&stored, subject: subject, in: work)
                stored.request.step = .completion
            } else {
                // Nothing of the subject remains: forget every hold and restriction that named it or its cubes
                // (none is active: an active hold kept what it covers), then the subject with its consent.
                guard try allCubes(of: subject, in: work).isEmpty else {
                    throw MemVaultError(.storage, "erasure request \(id): the subject still has cubes")
                }
                let forgottenHolds = markers.holds.filter {
                    $0.target == .subject(subject) || $0.target.cube.map(erasedCubes.contains) ?? false
                }
                let forgottenRestrictions = markers.restrictions.filter { $0.subject == subject }
                for hold in forgottenHolds { try work.transaction.deleteHold(hold.id) }
                for restriction in forgottenRestrictions { try work.transaction.deleteRestriction(restriction.id) }
                if !forgottenHolds.isEmpty || !forgottenRestrictions.isEmpty {
                    try work.saveMarkers(
                        markers.generation + 1,
                        holds: markers.holds.filter { hold in !forgottenHolds.contains { $0.id == hold.id } },
                        restrictions: markers.restrictions.filter { $0.subject != subject })
                }
                guard let consentRecords = try work.transaction.deleteSubject(subject) else {
                    throw notFound(subject: subject)
                }
                stored.request.consentRecords += consentRecords
                stored.request.step = .keys
            }
            try saveErasure(stored, in: work)
            work.returned = UInt64(erasedCubes.count)
            work.detail = "erasure \(id): subject records"
            return stored
        }
        resources.cubeContexts.withLock { $0.removeAll() }
        resources.vectorSets.withLock { $0.removeAll() }
        return stored
    }

    /// Crypto-shredding: destroys every version of the subject's data key (and with it the keys its blind index
    /// terms and audit pseudonym derive from), in every process (their caches notice the key store's change).
    private func shredSubjectKeys(_ id: String, _ admission: Admission, subject: SubjectID?) async throws
        -> StoredErasure
    {
        var destroyed = 0
        if let subject {
            do {
                destroyed = try keys.destroyDataKeys(tenant, owner: .subject(subject))
            } catch let error as MemVaultError where error.code == .unknownKey {
                // Destroyed by an earlier run that stopped before recording it.
            }
        }
        let destroyedVersions = destroyed
        return try await perform(admission) { [self] work in
            var stored = try loadErasure(id, in: work)
            guard stored.request.step == .keys else { return stored }
            stored.request.keysDestroyed += destroyedVersions
            stored.request.step = .completion
            try saveErasure(stored, in: work)
            work.subjectPseudonym = stored.request.subject
            work.detail = "erasure \(id): keys destroyed"
            return stored
        }
    }

    /// Records the completion; a full erasure forgets which subject the request was about.
    private func completeErasure(_ id: String, _ admission: Admission) async throws -> StoredErasure {
        try await perform(admission) { [self] work in
            var stored = try loadErasure(id, in: work)
            guard stored.request.step == .completion else { return stored }
            stored.request.state = stored.request.retained.isEmpty ? .completed : .completedWithExceptions
            stored.request.completedAt = storedTime(work.now)
            // This unit's own entry comes right after what the log holds now.
            stored.request.completionEntry = try work.transaction.auditSize() + 1
            stored.request.step = .receipt
            if stored.request.state == .completed { stored.subject = nil }
            try saveErasure(stored, in: work)
            work.subjectPseudonym = stored.request.subject
            work.detail = ErasureReceipt.completionDetail(request: id, state: stored.request.state.rawValue)
            return stored
        }
    }

    /// Cleans the storage files of everything the erasure deleted (the request's own earlier versions, which named
    /// the subject, included), then signs a checkpoint that covers the completion entry and stores the signed
    /// receipt with its inclusion proof. A run stopped here cleans again when resumed: no receipt before the files
    /// are clean.
    private func issueErasureReceipt(_ id: String, _ admission: Admission) async throws -> StoredErasure {
        try await storage.purgeDeleted()
        let current = try await storage.read { [self] reader in try reader.erasureRequest(id).map(openErasure) }
        guard let current, current.request.step == .receipt, let sequence = current.request.completionEntry else {
            return try await perform(admission) { [self] work in try loadErasure(id, in: work) }
        }
        let request = current.request
        let (log, checkpoint) = try await signCheckpoint(
            recording: admission, detail: "erasure \(id): checkpoint", subjectPseudonym: request.subject)
        let proof = try log.inclusionProof(sequence: sequence, treeSize: checkpoint.size)
        let signingKey = try keys.auditSigningKey(tenant)
        let verifier = try CheckpointVerifier(keyName: auditOrigin, publicKey: signingKey.publicKey)
        let receipt = try ErasureReceipt.signed(
            ErasureReceipt(
                format: ErasureReceipt.format, tenant: tenant.rawValue, request: id, subject: request.subject,
                state: request.state.rawValue, categories: request.categories, ground: request.ground.rawValue,
                article: request.ground.article, requester: request.requester.rawValue,
                receivedAt: request.receivedAt.formatted(.iso8601), dueAt: request.dueAt.formatted(.iso8601),
                completedAt: (request.completedAt ?? now()).formatted(.iso8601),
                erased: request.erased.sorted { $0.key < $1.key }.map { .init(category: $0.key, count: $0.value) },
                retained: request.retained.map {
                    .init(
                        category: $0.category, count: $0.count, basis: $0.basis, article: $0.article,
                        until: $0.until?.formatted(.iso8601), purposes: $0.purposes)
                }, cubes: request.cubes, consentRecords: request.consentRecords, keysDestroyed: request.keysDestroyed,
                audit: .init(
                    origin: auditOrigin, sequence: sequence, entry: Data(proof.entry).base64EncodedString(),
                    leafHash: Hex.encode(proof.leafHash), treeSize: checkpoint.size, proof: proof.path.map(Hex.encode),
                    checkpoint: checkpoint.note),
                signature: nil),
            by: signingKey, verifier: verifier)
        let document = try receipt.document()
        return try await perform(admission) { [self] work in
            var stored = try loadErasure(id, in: work)
            guard stored.request.step == .receipt else { return stored }
            stored.receipt = document
            stored.request.step = .done
            try saveErasure(stored, in: work)
            work.subjectPseudonym = stored.request.subject
            work.detail = "erasure \(id): receipt"
            return stored
        }
    }

    // MARK: - Pieces

    /// Restricts what the erasure kept under an exception to the exception's purposes (Art. 18(2)), one
    /// restriction per category; what a hold keeps stays as the hold has it.
    private func restrictKept(_ stored: inout StoredErasure, subject: SubjectID, in work: TenantWork) throws {
        let existing = try work.currentMarkers().restrictions.filter {
            $0.isActive && $0.request == stored.request.id
        }
        // A category this request no longer keeps (a run after its exception lapsed) is no longer restricted by it.
        let keptCategories = Set(stored.request.retained.filter { $0.basis != "legal-hold" }.map(\.category))
        for restriction in existing where !restriction.categories.allSatisfy(keptCategories.contains) {
            try liftRestriction(restriction, in: work)
        }
        for kept in stored.request.retained where kept.basis != "legal-hold" {
            guard !existing.contains(where: { $0.categories == [kept.category] }) else { continue }
            _ = try addRestriction(
                in: work, subject: subject, categories: [kept.category], purposes: kept.purposes,
                ground: Restriction.Ground.erasureException.rawValue, request: stored.request.id)
        }
    }

    private func allCubes(of subject: SubjectID, in work: TenantWork) throws -> [CubeRecord] {
        var cubes: [CubeRecord] = []
        while true {
            let page = try work.transaction.cubes(.subject(subject), after: cubes.last?.id, limit: 500)
            cubes += page
            guard page.count == 500 else { return cubes }
        }
    }

    /// A time as the request's document keeps it (milliseconds), so a request read back equals the one returned.
    private func storedTime(_ date: Date) -> Date { StoredTime(now: date).date }

    private func checkErasureID(_ id: String) throws {
        guard SortableIdentifier.isValid(id, prefix: "era_") else {
            throw MemVaultError(
                .invalidArgument, "invalid erasure request id: expected 'era_' and 26 base32 characters")
        }
    }

    // MARK: - Storage

    /// A request as stored: its document, the subject while it is kept, and the receipt.
    struct StoredErasure: Sendable {
        var request: ErasureRequest
        var subject: SubjectID?
        var receipt: [UInt8]?
    }

    private func loadErasure(_ id: String, in work: TenantWork) throws -> StoredErasure {
        guard let record = try work.transaction.erasureRequest(id) else {
            throw MemVaultError(.notFound, "no erasure request '\(id)' in tenant '\(tenant)'")
        }
        return try openErasure(record)
    }

    /// A stored request, checked against its seal; its document must say what the clear columns say.
    private func openErasure(_ record: ErasureRequestRecord) throws -> StoredErasure {
        try resources.integrity.verify(
            record.seal, try Bindings.erasureRequest(tenant, record), "erasure request \(record.id)")
        let request: ErasureRequest
        do {
            request = try Self.documentDecoder.decode(ErasureRequest.self, from: Data(record.document))
        } catch {
            throw MemVaultError(.integrity, "erasure request \(record.id) does not decode")
        }
        guard request.id == record.id, request.state == record.state else {
            throw MemVaultError(.integrity, "erasure request \(record.id) does not match its document; not obeyed")
        }
        return StoredErasure(request: request, subject: record.subject, receipt: record.receipt)
    }

    private func sealedErasure(_ stored: StoredErasure) throws -> ErasureRequestRecord {
        let document = Array(try Self.documentEncoder.encode(stored.request))
        let unsealed = ErasureRequestRecord(
            id: stored.request.id, subject: stored.subject, state: stored.request.state, document: document,
            receipt: stored.receipt, seal: [])
        return ErasureRequestRecord(
            id: unsealed.id, subject: unsealed.subject, state: unsealed.state, document: document,
            receipt: unsealed.receipt,
            seal: try resources.integrity.seal(try Bindings.erasureRequest(tenant, unsealed)))
    }

    private func saveErasure(_ stored: StoredErasure, in work: TenantWork) throws {
        guard try work.transaction.updateErasureRequest(try sealedErasure(stored)) else {
            throw MemVaultError(.notFound, "no erasure request '\(stored.request.id)' in tenant '\(tenant)'")
        }
    }

    private static var documentEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }

    private static var documentDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}

extension ErasureRequest {
    /// Counts a memory kept, under `basis`, until the latest `until` of its category.
    mutating func keep(_ category: String, basis: String, article: String, until: Date?, _ purposes: [String]) {
        if let index = retained.firstIndex(where: { $0.category == category && $0.basis == basis }) {
            retained[index].count += 1
            if let until, let known = retained[index].until { retained[index].until = max(known, until) }
        } else {
            retained.append(
                Retained(
                    category: category, count: 1, basis: basis, article: article, until: until, purposes: purposes))
        }
    }
}
