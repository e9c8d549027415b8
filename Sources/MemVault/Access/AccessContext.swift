public import MemVaultPolicy

/// Who is asking and why: the credential's actor and role, and the purpose of the request. Every operation is
/// authorised against this context (`StoreOperation`), and the tenant's policy decides data operations for it.
///
/// The actor and role must come from an authenticated credential, never from request data. The purpose is the
/// caller's declaration; it is checked against the tenant's policy before anything is decided or recorded.
public struct AccessContext: Sendable, Equatable {
    /// The credential id (never a person's name or a subject id): recorded in the audit log, so its format is
    /// bounded (see `ActorID`).
    public let actor: String
    public let role: Role
    /// The purpose of the request; nil for governance operations that process no personal data (audit reads,
    /// key rotation, tenant administration).
    public let purpose: String?

    public init(actor: String, role: Role, purpose: String?) {
        self.actor = actor
        self.role = role
        self.purpose = purpose
    }

    public init(actor: String, role: Role) {
        self.init(actor: actor, role: role, purpose: nil)
    }
}

/// The format of actor (credential) ids: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-', starting
/// with a letter or digit. No spaces, no '@': an e-mail address or a person's name cannot slip into the audit log.
public enum ActorID {
    public static func validate(_ actor: String) throws {
        func alphanumeric(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default: false
            }
        }
        func allowed(_ byte: UInt8) -> Bool {
            alphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "-")
        }
        let utf8 = actor.utf8
        guard (1...64).contains(utf8.count), let first = utf8.first, alphanumeric(first), utf8.allSatisfy(allowed)
        else {
            throw MemVaultError(
                .invalidArgument,
                "invalid actor id: use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-', starting with a "
                    + "letter or digit (a credential id, never a person's name or e-mail address)")
        }
    }
}
