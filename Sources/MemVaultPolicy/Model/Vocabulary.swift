/// The fixed words of the policy language. Policies name purposes and categories themselves; these are not
/// theirs to invent.

/// GDPR Art. 6(1) legal bases.
public enum LegalBasis: String, Sendable, Codable, CaseIterable, Comparable {
    case consent
    case contract
    case legalObligation = "legal-obligation"
    case legitimateInterest = "legitimate-interest"
    case vitalInterest = "vital-interest"
    case publicTask = "public-task"

    public static func < (lhs: LegalBasis, rhs: LegalBasis) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether a purpose on this basis may process special-category data (GDPR Art. 9(2)): with explicit consent
    /// (a), to protect vital interests (c), or to meet legal obligations and claims (b, f, g). Contract, legitimate
    /// interest and public task are no Art. 9 ground on their own.
    public var permitsSpecialCategories: Bool {
        switch self {
        case .consent, .vitalInterest, .legalObligation: true
        case .contract, .legitimateInterest, .publicTask: false
        }
    }

    /// The article that names this basis.
    public var article: String {
        switch self {
        case .consent: "Art. 6(1)(a)"
        case .contract: "Art. 6(1)(b)"
        case .legalObligation: "Art. 6(1)(c)"
        case .vitalInterest: "Art. 6(1)(d)"
        case .publicTask: "Art. 6(1)(e)"
        case .legitimateInterest: "Art. 6(1)(f)"
        }
    }
}

/// What a request does to memories.
public enum Action: String, Sendable, Codable, CaseIterable, Comparable {
    case read, search, write, update, delete, export, migrate, erase

    public static func < (lhs: Action, rhs: Action) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Actions that process personal data for a purpose: purpose limitation, consent and retention apply.
    public var isProcessing: Bool {
        switch self {
        case .read, .search, .write, .update, .export, .migrate: true
        case .delete, .erase: false
        }
    }

    /// Actions that disclose stored data: a memory past retention is never disclosed.
    public var discloses: Bool {
        switch self {
        case .read, .search, .export, .migrate: true
        case .write, .update, .delete, .erase: false
        }
    }
}

/// Who is asking, as carried by the authenticated credential.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case application
    case administrator
    case auditor
    case dataProtectionOfficer = "data-protection-officer"

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// W3C Data Privacy Vocabulary consent states (dpv:ConsentStatus). Only given and renewed permit processing.
public enum ConsentState: String, Sendable, Codable, CaseIterable, Comparable {
    case given, renewed, refused, withdrawn, revoked, expired, requested, unknown

    public static func < (lhs: ConsentState, rhs: ConsentState) -> Bool { lhs.rawValue < rhs.rawValue }

    public var permitsProcessing: Bool { self == .given || self == .renewed }
}

/// The GDPR Art. 17(3) grounds on which a category may be kept despite an erasure request.
public enum ErasureExceptionBasis: String, Sendable, Codable, CaseIterable {
    /// Art. 17(3)(b): compliance with a legal obligation.
    case legalObligation = "legal-obligation"
    /// Art. 17(3)(e): the establishment, exercise or defence of legal claims.
    case legalClaims = "legal-claims"

    public var article: String {
        switch self {
        case .legalObligation: "Art. 17(3)(b)"
        case .legalClaims: "Art. 17(3)(e)"
        }
    }
}

/// Memory types and source kinds that rule conditions may name (the store's `MemoryType` and `SourceKind`; a test
/// keeps the lists in step).
public enum StoreVocabulary {
    public static let memoryTypes: Set<String> = [
        "working", "long-term", "profile", "preference", "episodic", "activation", "parametric",
    ]
    public static let sources: Set<String> = ["conversation", "document", "tool", "import"]
    /// The file formats memories move in (docs/portability.md).
    public static let transferFormats: Set<String> = ["memvault-bundle", "memvault-module", "memos-dump", "mem0-json"]
    /// The platforms memories move between.
    public static let platforms: Set<String> = ["memvault", "memos", "mem0"]
    /// What an erasure can cover.
    public static let erasureScopes: Set<String> = [
        "memories", "history", "cubes", "subject-keys", "external-id", "consent-evidence", "audit-pseudonyms",
    ]
}
