public import MemVaultAudit
public import MemVaultPolicy

/// The decision an audit entry records.
public struct AuditDecision: Sendable, Equatable {
    public var effect: AuditEffect
    public var ruleIDs: [String]
    public var policyRevision: String

    public init(effect: AuditEffect, ruleIDs: [String], policyRevision: String) {
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.policyRevision = policyRevision
    }

    public init(_ decision: Decision) {
        self.init(
            effect: decision.isPermitted ? .permit : .deny, ruleIDs: decision.ruleIDs,
            policyRevision: decision.policyRevision)
    }

    /// A role-confined operation permitted for `role`, named so in the log.
    public static func role(_ role: Role) -> AuditDecision {
        AuditDecision(effect: .permit, ruleIDs: ["memvault:role-\(role.rawValue)"], policyRevision: "")
    }

    /// A role-confined operation refused.
    public static let roleDenied = AuditDecision(effect: .deny, ruleIDs: ["memvault:role"], policyRevision: "")

    /// An operation refused because stored state failed its integrity check.
    public static let integrityFailure = AuditDecision(
        effect: .deny, ruleIDs: ["memvault:integrity"], policyRevision: "")
}

/// A policy or role denial on its way to the audit log: the unit of work that met it is rolled back, then the
/// denial is recorded on its own and surfaces as a `denied` error with `message`.
struct Denial: Error {
    let decision: AuditDecision
    let subject: SubjectID?
    let cube: CubeID?
    let message: String
}
