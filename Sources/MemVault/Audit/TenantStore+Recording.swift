import MemVaultPolicy
import Synchronization

/// Drafting the audit entries every operation records.
extension TenantStore {
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

    func recordRead(_ record: MemoryRecord, _ decision: Decision, detail: String? = nil) async throws {
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

    func permittedDecision() throws -> AuditDecision {
        AuditDecision(effect: "permit", ruleIDs: [], policyRevision: try engine().revision)
    }
}
