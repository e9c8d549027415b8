public import Foundation

/// Everything a decision depends on. The store fills it from the credential (role), the request (action,
/// purpose), the memory (category, type, source, time stored) and its records (consent, legal holds).
public struct AccessRequest: Sendable, Hashable {
    public var action: Action
    public var role: Role
    public var purpose: String
    /// The memory's category; nil for requests that touch no memory (e.g. creating a subject).
    public var category: String?
    /// The subject's consent for `purpose`; `.unknown` when there is no subject or no record.
    public var consent: ConsentState
    public var legalHold: Bool
    /// Set while processing of the memory is restricted (GDPR Art. 18): the only purposes that may still use it.
    public var restrictedTo: Set<String>?
    public var memoryType: String?
    public var source: String?
    /// When the memory was stored: retention and erasure exceptions run from here.
    public var storedAt: Date?
    public var now: Date

    public init(
        action: Action, role: Role, purpose: String, category: String? = nil, consent: ConsentState = .unknown,
        legalHold: Bool = false, restrictedTo: Set<String>? = nil, memoryType: String? = nil, source: String? = nil,
        storedAt: Date? = nil, now: Date = .now
    ) {
        self.action = action
        self.role = role
        self.purpose = purpose
        self.category = category
        self.consent = consent
        self.legalHold = legalHold
        self.restrictedTo = restrictedTo
        self.memoryType = memoryType
        self.source = source
        self.storedAt = storedAt
        self.now = now
    }
}

/// A decision as a value: what was decided, by which rules, why, under which policy revision.
public struct Decision: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Effect: String, Sendable, Codable {
        case permit, deny
    }

    public let effect: Effect
    /// The rules that matched (sorted); built-in GDPR checks appear as `memvault:…`.
    public let ruleIDs: [String]
    public let reason: String
    public let policyRevision: String

    public var isPermitted: Bool { effect == .permit }

    public var description: String {
        "\(effect.rawValue) [\(ruleIDs.joined(separator: ", "))]: \(reason) (policy \(policyRevision.prefix(12)))"
    }
}
