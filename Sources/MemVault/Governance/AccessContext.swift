public import MemVaultPolicy

/// Who is asking and why: the credential's actor and role, and the purpose of the request. Every operation on a
/// tenant's memories is decided by the tenant's policy against this context.
public struct AccessContext: Sendable, Equatable {
    /// The credential id (never a person's name or a subject id); recorded with consent changes, holds and, later,
    /// in the audit log.
    public let actor: String
    public let role: Role
    public let purpose: String

    public init(actor: String, role: Role, purpose: String) {
        self.actor = actor
        self.role = role
        self.purpose = purpose
    }
}
