public import Foundation

/// Evaluates requests against one validated policy.
///
/// Semantics (docs/policies.md): built-in GDPR checks first (declared purpose and category, purpose limitation,
/// consent, explicit consent for special categories, restriction, retention, legal holds, erasure exceptions); then rules:
/// any matching `forbid` denies, else any matching `permit` permits, else the default is deny. Rules are matched as
/// a set, so their order in the file never matters.
public final class PolicyEngine: Sendable {
    public let policy: Policy
    public let revision: String
    private let rulesByAction: [Action: [Policy.Rule]]

    public init(_ policy: Policy) throws {
        self.policy = policy
        revision = try PolicyRevision.compute(policy)
        var index: [Action: [Policy.Rule]] = [:]
        for rule in policy.rules {
            for action in rule.actions { index[action, default: []].append(rule) }
        }
        rulesByAction = index
    }

    public func decide(_ request: AccessRequest) -> Decision {
        let matching = (rulesByAction[request.action] ?? []).filter { matches($0, request) }
        let forbids = matching.filter { $0.effect == .forbid }.map(\.id)
        if let (check, reason) = builtInDenial(request) {
            return decision(.deny, [check] + forbids, reason)
        }
        if !forbids.isEmpty {
            let described = matching.first { $0.effect == .forbid }?.description.map { ": \($0)" } ?? ""
            return decision(.deny, forbids, "forbidden by rule \(forbids.joined(separator: ", "))\(described)")
        }
        let permits = matching.map(\.id)
        if !permits.isEmpty {
            return decision(.permit, permits, "permitted by rule \(permits.joined(separator: ", "))")
        }
        return decision(
            .deny, ["memvault:default-deny"],
            "no rule permits \(request.role.rawValue) to \(request.action.rawValue) for purpose '\(request.purpose)'"
                + (request.category.map { " in category '\($0)'" } ?? ""))
    }

    /// When a memory of `category` stored at `storedAt` passes its retention period; nil if it has none.
    public func retentionEnds(category: String, storedAt: Date) -> Date? {
        policy.categories[category]?.retention?.added(to: storedAt)
    }

    // MARK: - Built-in checks

    private func builtInDenial(_ request: AccessRequest) -> (String, String)? {
        guard let purpose = policy.purposes[request.purpose] else {
            return (
                "memvault:unknown-purpose",
                "unknown purpose '\(request.purpose)'; declared purposes are: "
                    + policy.purposes.keys.sorted().joined(separator: ", ")
            )
        }
        var category: Policy.Category?
        if let name = request.category {
            guard let declared = policy.categories[name] else {
                return (
                    "memvault:unknown-category",
                    "category '\(name)' is not declared in policy '\(policy.name)'; declared categories are: "
                        + policy.categories.keys.sorted().joined(separator: ", ")
                )
            }
            category = declared
        }
        if request.action.isProcessing {
            if let category, let name = request.category, !category.purposes.contains(request.purpose) {
                return (
                    "memvault:purpose-limitation",
                    "category '\(name)' may not be used for purpose '\(request.purpose)' (GDPR Art. 5(1)(b)); "
                        + "its purposes are: \(category.purposes.sorted().joined(separator: ", "))"
                )
            }
            if let allowed = request.restrictedTo, !allowed.contains(request.purpose) {
                return (
                    "memvault:restriction",
                    "processing is restricted (GDPR Art. 18)"
                        + (allowed.isEmpty
                            ? "; it may only be stored" : " to purposes \(allowed.sorted().joined(separator: ", "))")
                )
            }
            if category?.specialCategory == true, purpose.legalBasis == .consent, !request.consent.permitsProcessing {
                return (
                    "memvault:explicit-consent",
                    "category '\(request.category ?? "")' is special-category data: processing for purpose "
                        + "'\(request.purpose)' needs the subject's explicit consent (GDPR Art. 9(2)(a)); consent is "
                        + "\(request.consent.rawValue)"
                )
            }
            if purpose.legalBasis == .consent, !request.consent.permitsProcessing {
                return (
                    "memvault:consent",
                    "purpose '\(request.purpose)' relies on consent (GDPR Art. 6(1)(a)) and the subject's consent is "
                        + "\(request.consent.rawValue)"
                )
            }
        }
        if request.action.discloses, !request.legalHold, let name = request.category,
            let retention = category?.retention
        {
            guard let storedAt = request.storedAt else {
                return (
                    "memvault:retention",
                    "the storage time of a '\(name)' memory is unknown; retention cannot be checked"
                )
            }
            if retention.hasElapsed(since: storedAt, at: request.now) {
                return (
                    "memvault:retention",
                    "past the retention of category '\(name)' (\(retention), GDPR Art. 5(1)(e)) since "
                        + retention.added(to: storedAt).formatted(.iso8601)
                )
            }
        }
        // A hold preserves evidence as it stands: the held item may be read and added to, never changed or removed.
        if request.action == .delete || request.action == .erase || request.action == .update, request.legalHold {
            return (
                "memvault:legal-hold",
                "a legal hold applies; changes, deletion and erasure are blocked until it is cleared"
            )
        }
        if request.action == .erase, let exception = category?.erasureException, let name = request.category {
            guard let storedAt = request.storedAt else {
                return ("memvault:erasure-exception", "the storage time of a '\(name)' memory is unknown")
            }
            if !exception.keepFor.hasElapsed(since: storedAt, at: request.now) {
                return (
                    "memvault:erasure-exception",
                    "category '\(name)' must be kept for \(exception.keepFor) (GDPR \(exception.basis.article)"
                        + (exception.reference.map { ", \($0)" } ?? "") + ") until "
                        + exception.keepFor.added(to: storedAt).formatted(.iso8601)
                )
            }
        }
        return nil
    }

    // MARK: - Rules

    private func matches(_ rule: Policy.Rule, _ request: AccessRequest) -> Bool {
        guard rule.roles.contains(request.role) else { return false }
        if let purposes = rule.purposes, !purposes.contains(request.purpose) { return false }
        let conditions = rule.conditions
        if let categories = conditions.categories {
            guard let category = request.category, categories.contains(category) else { return false }
        }
        if let consent = conditions.consent, !consent.contains(request.consent) { return false }
        if let hold = conditions.legalHold, hold != request.legalHold { return false }
        if let types = conditions.memoryTypes {
            guard let type = request.memoryType, types.contains(type) else { return false }
        }
        if let sources = conditions.sources {
            guard let source = request.source, sources.contains(source) else { return false }
        }
        if let special = conditions.specialCategory {
            let isSpecial = request.category.flatMap { policy.categories[$0]?.specialCategory } ?? false
            guard isSpecial == special else { return false }
        }
        return true
    }

    private func decision(_ effect: Decision.Effect, _ ruleIDs: [String], _ reason: String) -> Decision {
        Decision(effect: effect, ruleIDs: ruleIDs.sorted(), reason: reason, policyRevision: revision)
    }
}
