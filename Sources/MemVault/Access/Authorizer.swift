import Foundation
import MemVaultPolicy

/// Admits a request before anything is decided or recorded: the actor id is well formed; an operation that
/// processes personal data declares a purpose the tenant's policy knows; a role-confined operation is asked by one
/// of its roles. The caller's own mistakes (a malformed actor, a missing or unknown purpose) are errors, not audit
/// entries: they would only put caller-supplied text into the log. A role that may not perform an operation is a
/// denial, which is recorded.
struct Authorizer: Sendable {
    let context: AccessContext

    /// The purpose to record: the declared one, or "" for operations that take none.
    func admit(_ operation: StoreOperation, policy: Policy?) throws -> String {
        try ActorID.validate(context.actor)
        guard operation.needsPurpose else { return "" }
        guard let policy else { return "" }
        var declared: String { policy.purposes.keys.sorted().joined(separator: ", ") }
        guard let purpose = context.purpose, !purpose.isEmpty else {
            throw MemVaultError(.invalidArgument, "this request must declare a purpose: one of \(declared)")
        }
        guard policy.purposes[purpose] != nil else {
            throw MemVaultError(
                .invalidArgument,
                "unknown purpose '\(purpose.prefix(64))': this request must declare a purpose the policy "
                    + "'\(policy.name)' declares, one of \(declared)")
        }
        return purpose
    }

    /// For a role-confined operation, the permit to record, or a `Denial`; nil for a policy-decided one.
    func roleDecision(_ operation: StoreOperation) throws -> AuditDecision? {
        guard case .roles(let roles) = operation.authority else { return nil }
        guard roles.contains(context.role) else {
            throw Denial(
                decision: .roleDenied, subject: nil, cube: nil,
                message: "role \(context.role.rawValue) may not \(operation.summary); allowed: "
                    + roles.map(\.rawValue).sorted().joined(separator: ", "))
        }
        return .role(context.role)
    }
}
