/// Whose data a data key protects, or what a tenant-level secret is for.
///
/// Destroying a subject's data keys makes every copy of that subject's ciphertext unreadable (crypto-shredding).
public enum DataKeyOwner: Hashable, Sendable, CustomStringConvertible {
    case tenant
    case subject(SubjectID)
    /// The tenant's key for subject pseudonyms (HMAC of external ids). It never seals anything and never rotates:
    /// a new version would change every pseudonym.
    case pseudonyms
    /// The seed of the tenant's Ed25519 key that signs audit checkpoints. Never seals anything.
    case auditSigning
    /// The seed of the tenant's portability keys: the X25519 key bundles are sealed to, and the Ed25519 key that
    /// signs the bundles and modules it sends. Never seals anything itself.
    case portability

    /// The stored form, also the key id written into envelope headers: printable ASCII, no personal data.
    public var keyID: String {
        switch self {
        case .tenant: "tenant"
        case .subject(let subject): "subject:\(subject.rawValue)"
        case .pseudonyms: "pseudonyms"
        case .auditSigning: "audit-signing"
        case .portability: "portability"
        }
    }

    public init(keyID: String) throws {
        switch keyID {
        case "tenant": self = .tenant
        case "pseudonyms": self = .pseudonyms
        case "audit-signing": self = .auditSigning
        case "portability": self = .portability
        case _ where keyID.hasPrefix("subject:"):
            self = .subject(try SubjectID(String(keyID.dropFirst("subject:".count))))
        default:
            throw MemVaultError(.keyStoreCorrupted, "the key store names an unknown data key owner")
        }
    }

    public var description: String {
        switch self {
        // Logs and errors never carry a subject id.
        case .subject: "a subject"
        case .tenant: "the tenant's shared cubes"
        case .pseudonyms: "subject pseudonyms"
        case .auditSigning: "audit checkpoint signing"
        case .portability: "bundle sealing and signing"
        }
    }

    var subject: SubjectID? {
        if case .subject(let subject) = self { subject } else { nil }
    }
}
