/// A move of memories across the tenant's boundary: out to another platform or deployment, or in from one.
public struct Transfer: Sendable, Hashable, CustomStringConvertible {
    public enum Direction: String, Sendable {
        case outbound, inbound
    }

    public let direction: Direction
    /// One of `StoreVocabulary.transferFormats`.
    public let format: String
    /// Where the memories go (outbound) or come from (inbound): one of `StoreVocabulary.platforms`.
    public let platform: String

    public init(_ direction: Direction, format: String, platform: String) {
        self.direction = direction
        self.format = format
        self.platform = platform
    }

    public var description: String {
        "\(format) \(direction == .outbound ? "to" : "from") \(platform)"
    }
}

extension PolicyEngine {
    /// Nil if the policy's `migration` section allows the transfer's format and platform; otherwise the denial,
    /// naming the list to change. Decided before any memory is: a transfer the policy never allows reads nothing.
    public func transferDenial(_ transfer: Transfer) -> Decision? {
        let settings = policy.migration
        if !settings.formats.contains(transfer.format) {
            return denial(
                "memvault:transfer-format",
                "policy '\(policy.name)' does not allow the format \(transfer.format); its migration formats are: "
                    + list(settings.formats))
        }
        let platforms = transfer.direction == .outbound ? settings.destinations : settings.sources
        if !platforms.contains(transfer.platform) {
            let key = transfer.direction == .outbound ? "destinations" : "sources"
            return denial(
                "memvault:transfer-\(transfer.direction == .outbound ? "destination" : "source")",
                "policy '\(policy.name)' does not allow memories \(transfer.direction == .outbound ? "to go to" : "to come from") "
                    + "\(transfer.platform); its migration \(key) are: \(list(platforms))")
        }
        return nil
    }

    /// Nil if an outbound move of a subject's memories has the consent the policy requires (`required_purposes`
    /// with `require_consent`); `consent` gives the subject's state for each purpose.
    public func migrationConsentDenial(consent: (String) throws -> ConsentState) rethrows -> Decision? {
        let settings = policy.migration
        guard settings.requireConsent else { return nil }
        for purpose in settings.requiredPurposes.sorted() {
            let state = try consent(purpose)
            if !state.permitsProcessing {
                return denial(
                    "memvault:migration-consent",
                    "policy '\(policy.name)' moves a subject's memories only with their consent for purpose "
                        + "'\(purpose)', and it is \(state.rawValue)")
            }
        }
        return nil
    }

    private func denial(_ check: String, _ reason: String) -> Decision {
        Decision(effect: .deny, ruleIDs: [check], reason: reason, policyRevision: revision)
    }

    private func list(_ values: Set<String>) -> String {
        values.isEmpty ? "none" : values.sorted().joined(separator: ", ")
    }
}
