/// What an audit entry records was done: the operation's kind, as the log names it.
///
/// An extensible set (a later MemVault may add actions an older verifier has not heard of), so a struct over its
/// stored string rather than a closed enum; the actions MemVault records are the static members.
public struct AuditAction: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: AuditAction, rhs: AuditAction) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // Memory processing, as the policy decides it.
    public static let read = AuditAction(rawValue: "read")
    public static let search = AuditAction(rawValue: "search")
    public static let write = AuditAction(rawValue: "write")
    public static let update = AuditAction(rawValue: "update")
    public static let delete = AuditAction(rawValue: "delete")
    public static let erase = AuditAction(rawValue: "erase")
    public static let export = AuditAction(rawValue: "export")
    public static let `import` = AuditAction(rawValue: "import")
    public static let migrate = AuditAction(rawValue: "migrate")
    // Governance.
    public static let subject = AuditAction(rawValue: "subject")
    public static let consent = AuditAction(rawValue: "consent")
    public static let hold = AuditAction(rawValue: "hold")
    public static let restriction = AuditAction(rawValue: "restriction")
    public static let key = AuditAction(rawValue: "key")
    public static let audit = AuditAction(rawValue: "audit")
    public static let tenant = AuditAction(rawValue: "tenant")
    public static let credential = AuditAction(rawValue: "credential")
    public static let policy = AuditAction(rawValue: "policy")
    public static let module = AuditAction(rawValue: "module")
}

extension AuditAction: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }
}

/// The decision an entry records: a closed set, refused on decode if it is anything else.
public enum AuditEffect: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case permit
    case deny

    public var description: String { rawValue }
}

extension AuditEffect: ExpressibleByStringLiteral {
    /// For literals in code and tests only; stored effects are decoded with `init(rawValue:)` and checked.
    public init(stringLiteral value: String) {
        guard let effect = AuditEffect(rawValue: value) else {
            preconditionFailure("'\(value)' is not an audit effect: use permit or deny")
        }
        self = effect
    }
}
