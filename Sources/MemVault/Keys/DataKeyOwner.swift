/// Whose data a data key protects: one subject's personal cubes, or the tenant's shared cubes.
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

    /// The stored form, also the key id written into envelope headers: printable ASCII, no personal data.
    public var keyID: String {
        switch self {
        case .tenant: "tenant"
        case .subject(let subject): "subject:\(subject.rawValue)"
        case .pseudonyms: "pseudonyms"
        case .auditSigning: "audit-signing"
        }
    }

    public init(keyID: String) throws {
        if keyID == "tenant" {
            self = .tenant
        } else if keyID == "pseudonyms" {
            self = .pseudonyms
        } else if keyID == "audit-signing" {
            self = .auditSigning
        } else if keyID.hasPrefix("subject:") {
            self = .subject(try SubjectID(String(keyID.dropFirst("subject:".count))))
        } else {
            throw MemVaultError(.keyStoreCorrupted, "unknown data key owner '\(keyID.prefix(64))' in the key store")
        }
    }

    public var description: String { keyID }
}
