import Foundation
import MemVaultPolicy

/// How each operation asks the tenant's policy, and what it does with a denial.
extension TenantStore {
    /// What a decision depends on beyond the request itself, looked up afresh for every request.
    struct Governance {
        let consent: ConsentState
        let held: Bool
    }

    func engine() throws -> PolicyEngine {
        try resources.policies.engine(resources.policyName)
    }

    /// The subject's consent for this context's purpose, and whether a hold applies to the subject or the cubes.
    /// Any failure here fails the request: a policy that cannot be evaluated denies.
    func governance(subject: SubjectID?, cubes: [CubeID]) async throws -> Governance {
        let targets = cubes.map(HoldTarget.cube) + (subject.map { [HoldTarget.subject($0)] } ?? [])
        let stored = try await storage.governance(subject: subject, purpose: context.purpose, holdTargets: targets)
        return try governance(consent: stored.consent, held: stored.held)
    }

    func governance(consent raw: String?, held: Bool) throws -> Governance {
        var consent = ConsentState.unknown
        if let raw {
            guard let state = ConsentState(rawValue: raw) else {
                throw MemVaultError(.integrity, "a consent record of tenant '\(tenant)' has an unknown state")
            }
            consent = state
        }
        return Governance(consent: consent, held: held)
    }

    func decide(
        _ action: Action, category: String?, governance: Governance, type: MemoryType? = nil,
        source: SourceKind? = nil, storedAt: StoredTime? = nil
    ) throws -> Decision {
        try engine().decide(
            AccessRequest(
                action: action, role: context.role, purpose: context.purpose, category: category,
                consent: governance.consent, legalHold: governance.held, memoryType: type?.rawValue,
                source: source?.rawValue, storedAt: storedAt?.date, now: .now))
    }

    func decide(
        _ action: Action, category: String?, subject: SubjectID?, cube: CubeID?
    ) async throws -> Decision {
        try decide(
            action, category: category,
            governance: try await governance(subject: subject, cubes: cube.map { [$0] } ?? []))
    }

    /// The decision for `action` on a stored memory; retention and erasure exceptions run from its creation.
    func decide(
        _ action: Action, _ record: MemoryRecord, governance: Governance, category: String? = nil,
        type: MemoryType? = nil, source: SourceKind? = nil
    ) throws -> Decision {
        try decide(
            action, category: category ?? record.category, governance: governance, type: type ?? record.type,
            source: source ?? record.source, storedAt: record.createdAt)
    }

    func decide(
        _ action: Action, _ record: MemoryRecord, category: String? = nil, type: MemoryType? = nil,
        source: SourceKind? = nil
    ) async throws -> Decision {
        try decide(
            action, record, governance: try await governance(subject: record.subject, cubes: [record.cube]),
            category: category, type: type, source: source)
    }

    /// Throws a `PolicyDenial` (recorded in the audit log by `audited`) unless `decision` permits.
    func require(_ decision: Decision, subject: SubjectID? = nil, cube: CubeID? = nil) throws {
        guard decision.isPermitted else {
            throw PolicyDenial(
                decision: AuditDecision(decision), subject: subject, cube: cube,
                message: "denied by policy '\(resources.policyName)' (\(decision.ruleIDs.joined(separator: ", "))): "
                    + decision.reason)
        }
    }

    @discardableResult
    func require(
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
}
