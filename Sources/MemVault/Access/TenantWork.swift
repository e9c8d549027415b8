import Foundation
import Logging
import MemVaultAudit
import MemVaultPolicy
import Synchronization

/// One operation's unit of work on a tenant: the transaction it runs in, the policy it is decided by, and what its
/// audit entry will say. Created inside the transaction and used by one thread only.
final class TenantWork {
    let transaction: any TenantTransaction
    let store: TenantStore
    let operation: StoreOperation
    let engine: PolicyEngine
    /// The declared purpose, or "" for operations that take none.
    let purpose: String
    let now: Date

    // What the audit entry records.
    var subject: SubjectID?
    var cube: CubeID?
    var memories: [MemoryID] = []
    var decision: AuditDecision
    var returned: UInt64 = 0
    var withheld: UInt64 = 0
    var detail: String?
    /// The subject's audit pseudonym, for entries about a subject whose keys erasure has destroyed (and so whose
    /// pseudonym can no longer be computed from its id); used when `subject` is nil.
    var subjectPseudonym: String?

    /// Governance read once per unit of work (see `Governance`).
    var markers: HoldSnapshot?
    var consentStates: [SubjectID: ConsentState] = [:]

    init(
        transaction: any TenantTransaction, store: TenantStore, operation: StoreOperation, engine: PolicyEngine,
        purpose: String, decision: AuditDecision, now: Date
    ) {
        self.transaction = transaction
        self.store = store
        self.operation = operation
        self.engine = engine
        self.purpose = purpose
        self.decision = decision
        self.now = now
    }

    var tenant: TenantID { store.tenant }
    var resources: TenantResources { store.resources }
    var context: AccessContext { store.context }

    /// Appends the operation's entry to the tenant's log, in this transaction: no change without its entry.
    func record() throws {
        var entry = try store.entry(
            operation: operation, purpose: purpose, subject: subject, cube: cube, memories: memories,
            decision: decision, returned: returned, withheld: withheld, detail: detail, at: now)
        if subject == nil, let subjectPseudonym { entry.subject = subjectPseudonym }
        try transaction.appendAudit(entry)
    }

    // MARK: - Policy decisions

    func decide(
        _ action: Action, category: String?, governance: Governance, type: MemoryType? = nil,
        source: SourceKind? = nil, storedAt: StoredTime? = nil
    ) -> Decision {
        engine.decide(
            AccessRequest(
                action: action, role: context.role, purpose: purpose, category: category,
                consent: governance.consent, legalHold: governance.held,
                restrictedTo: governance.restrictedTo(category: category), memoryType: type?.rawValue,
                source: source?.rawValue, storedAt: storedAt?.date, now: now))
    }

    /// The decision for `action` on a stored memory version; retention and erasure exceptions run from its creation.
    func decide(
        _ action: Action, _ record: MemoryRecord, governance: Governance, fields: MemoryFields? = nil
    ) -> Decision {
        let fields = fields ?? record.fields
        return decide(
            action, category: fields.category, governance: governance, type: fields.type, source: fields.source,
            storedAt: record.fields.createdAt)
    }

    /// Throws a `Denial` (recorded by `perform` once this unit has rolled back) unless `decision` permits.
    func require(_ decision: Decision, subject: SubjectID? = nil, cube: CubeID? = nil) throws {
        guard decision.isPermitted else {
            throw Denial(
                decision: AuditDecision(decision), subject: subject ?? self.subject, cube: cube ?? self.cube,
                message: "denied by policy '\(engine.policy.name)' (\(decision.ruleIDs.joined(separator: ", "))): "
                    + decision.reason)
        }
    }

    /// Decides `action` on a subject or cube as a whole (no memory category), requires a permit and records it.
    @discardableResult
    func require(_ action: Action, subject: SubjectID?, cube: CubeID?, category: String? = nil) throws -> Decision {
        let decision = decide(
            action, category: category,
            governance: try governance(subject: subject, cubes: cube.map { [$0] } ?? []))
        try require(decision, subject: subject, cube: cube)
        self.decision = AuditDecision(decision)
        return decision
    }

    var permitted: AuditDecision {
        AuditDecision(effect: .permit, ruleIDs: [], policyRevision: engine.revision)
    }
}

/// An operation admitted to run: its policy, declared purpose and, for role-confined operations, the permit.
struct Admission: Sendable {
    let operation: StoreOperation
    let engine: PolicyEngine
    let purpose: String
    let roleDecision: AuditDecision?
}

extension TenantStore {
    /// Admits `operation` (a well-formed actor, a declared purpose, a permitted role) before anything is read or
    /// decided. A role that may not perform it is recorded as a denial.
    func admit(
        _ operation: StoreOperation, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = []
    ) async throws -> Admission {
        let engine = try engine()
        let purpose = try authorizer.admit(operation, policy: engine.policy)
        do {
            let roleDecision = try authorizer.roleDecision(operation)
            try refreshCaches()
            return Admission(operation: operation, engine: engine, purpose: purpose, roleDecision: roleDecision)
        } catch let denial as Denial {
            logger.info(
                "denied an operation to the role",
                metadata: [
                    "tenant": "\(tenant)", "operation": "\(operation.rawValue)", "role": "\(context.role.rawValue)",
                ])
            try await recordDenial(
                operation, purpose: purpose,
                Denial(decision: denial.decision, subject: subject, cube: cube, message: denial.message),
                memories: memories)
            throw MemVaultError(.denied, denial.message)
        }
    }

    /// Empties this tenant's caches of verified records if its keys changed in any process since they were filled
    /// (a subject's keys destroyed elsewhere must stop every read here too).
    func refreshCaches() throws {
        try keys.refresh()
        let generation = keys.generation(of: tenant)
        resources.cacheGeneration.withLock { current in
            guard current != generation else { return }
            if current != nil {
                logger.debug(
                    "the tenant's keys changed (here or in another process); verified records are read again",
                    metadata: ["tenant": "\(tenant)"])
            }
            current = generation
            resources.cubeContexts.withLock { $0.removeAll() }
            resources.vectorSets.withLock { $0.removeAll() }
            resources.subjects.withLock { $0.removeAll() }
        }
    }

    /// Admits and performs `operation`; see `perform(_:subject:cube:memories:_:)` with an admission.
    func perform<T: Sendable>(
        _ operation: StoreOperation, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = [],
        _ body: @escaping @Sendable (TenantWork) throws -> T
    ) async throws -> T {
        let admission = try await admit(operation, subject: subject, cube: cube, memories: memories)
        return try await perform(admission, subject: subject, cube: cube, memories: memories, body)
    }

    /// The one way an operation runs, once admitted: decided, done and recorded by `body` in one unit of work, with
    /// its audit entry appended in the same transaction. A denial rolls the unit back and is recorded on its own;
    /// so is a failed integrity check.
    func perform<T: Sendable>(
        _ admission: Admission, subject: SubjectID? = nil, cube: CubeID? = nil, memories: [MemoryID] = [],
        _ body: @escaping @Sendable (TenantWork) throws -> T
    ) async throws -> T {
        let operation = admission.operation
        do {
            let result = try await storage.unitOfWork { [self] transaction in
                let work = TenantWork(
                    transaction: transaction, store: self, operation: operation, engine: admission.engine,
                    purpose: admission.purpose,
                    decision: admission.roleDecision
                        ?? AuditDecision(effect: .permit, ruleIDs: [], policyRevision: admission.engine.revision),
                    now: now())
                work.subject = subject
                work.cube = cube
                work.memories = memories
                let result = try body(work)
                try work.record()
                return result
            }
            logger.debug(
                "performed an operation", metadata: ["tenant": "\(tenant)", "operation": "\(operation.rawValue)"])
            return result
        } catch let denial as Denial {
            logger.info(
                "denied an operation",
                metadata: [
                    "tenant": "\(tenant)", "operation": "\(operation.rawValue)",
                    "rules": "\(denial.decision.ruleIDs.joined(separator: ","))",
                ])
            try await recordDenial(
                operation, purpose: admission.purpose,
                Denial(
                    decision: denial.decision, subject: denial.subject ?? subject, cube: denial.cube ?? cube,
                    message: denial.message), memories: memories)
            throw MemVaultError(.denied, denial.message)
        } catch let error as MemVaultError where error.code == .integrity {
            await recordIntegrityFailure(
                operation, purpose: admission.purpose, subject: subject, cube: cube, memories: memories)
            throw error
        } catch {
            // A transaction that failed to commit may have been read by others in its batch: drop what they cached.
            resources.holds.withLock { $0 = nil }
            throw error
        }
    }

    /// For reads that must not hold the writer (the audit log itself): admitted and role-checked like any
    /// operation, done on a snapshot, then recorded before the result is returned.
    func performOutsideUnit<T: Sendable>(
        _ operation: StoreOperation, subject: SubjectID? = nil, _ act: () async throws -> T,
        outcome: @escaping @Sendable (T) -> (returned: UInt64, detail: String?)
    ) async throws -> T {
        let admission = try await admit(operation, subject: subject)
        let purpose = admission.purpose
        let decision = admission.roleDecision ?? .roleDenied
        let result = try await act()
        let (returned, detail) = outcome(result)
        let time = now()
        let entry = try entry(
            operation: operation, purpose: purpose, subject: subject, cube: nil, memories: [], decision: decision,
            returned: returned, withheld: 0, detail: detail, at: time)
        _ = try await storage.unitOfWork { try $0.appendAudit(entry) }
        return result
    }

    /// Records a denial on its own (fail closed: if the entry cannot be written, the error says so).
    func recordDenial(_ operation: StoreOperation, purpose: String, _ denial: Denial, memories: [MemoryID]) async throws
    {
        let entry = try entry(
            operation: operation, purpose: purpose, subject: denial.subject, cube: denial.cube, memories: memories,
            decision: denial.decision, returned: 0, withheld: 0, detail: nil, at: now())
        do {
            _ = try await storage.unitOfWork { try $0.appendAudit(entry) }
        } catch {
            throw MemVaultError(
                .storage, "\(denial.message); and the denial could not be recorded in the audit log: \(error)")
        }
    }

    /// Records that stored state failed its integrity check. The operation has failed either way; if even this
    /// entry cannot be written (the log itself may be what was damaged), the failure is logged instead.
    func recordIntegrityFailure(
        _ operation: StoreOperation, purpose: String, subject: SubjectID?, cube: CubeID?, memories: [MemoryID]
    ) async {
        do {
            // The subject's pseudonym may be what cannot be computed; the entry names the cube and memories.
            let entry = try entry(
                operation: operation, purpose: purpose, subject: nil, cube: cube, memories: memories,
                decision: .integrityFailure, returned: 0, withheld: 0, detail: nil, at: now())
            _ = try await storage.unitOfWork { try $0.appendAudit(entry) }
        } catch {
            logger.error(
                "could not record an integrity failure in the audit log",
                metadata: ["tenant": "\(tenant)", "operation": "\(operation.rawValue)"])
        }
        logger.warning(
            "stored state failed its integrity check; the operation was refused",
            metadata: ["tenant": "\(tenant)", "operation": "\(operation.rawValue)", "cube": "\(cube?.rawValue ?? "-")"])
    }

    /// An audit entry of this store's context. The subject appears only as its audit pseudonym.
    func entry(
        operation: StoreOperation, purpose: String, subject: SubjectID?, cube: CubeID?, memories: [MemoryID],
        decision: AuditDecision, returned: UInt64, withheld: UInt64, detail: String?, at time: Date
    ) throws -> AuditEntry {
        AuditEntry(
            sequence: 0, time: StoredTime(now: time), actor: context.actor, role: context.role.rawValue,
            action: operation.auditAction, purpose: purpose,
            subject: try subject.map(auditPseudonym), cube: cube?.rawValue,
            memories: memories.map(\.rawValue), effect: decision.effect, ruleIDs: decision.ruleIDs,
            policyRevision: decision.policyRevision, returned: returned, withheld: withheld, detail: detail)
    }

    /// The subject's audit pseudonym. A subject without keys (never created in this tenant, or erased) does not
    /// exist here: `notFound`, as for a subject without a record.
    func auditPseudonym(_ subject: SubjectID) throws -> String {
        do {
            return try keys.auditPseudonym(tenant, subject: subject)
        } catch let error as MemVaultError where error.code == .unknownKey {
            throw notFound(subject: subject)
        }
    }
}
