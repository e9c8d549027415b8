public import Foundation
public import MemVaultPolicy

/// An API credential: what a request authenticates as. It carries the tenant (or the installation), the role and,
/// optionally, the only purposes it may declare; a request field never sets any of them. Its secret is shown once,
/// when it is made, and stored only as a keyed hash.
public struct Credential: Sendable, Equatable, Codable {
    /// `cred_` and 26 base32 characters: the actor id the audit log records for every request made with it.
    public let id: String
    /// The tenant it acts on; nil for an installation credential (tenant lifecycle and credentials of any tenant).
    public let tenant: TenantID?
    public let role: Role
    /// The only purposes requests made with it may declare; empty: any purpose the tenant's policy declares.
    public let purposes: [String]
    public let createdBy: String
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedBy: String?
    public let revokedAt: Date?

    public func isValid(at time: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { time < $0 } ?? true)
    }

    /// The access context of a request made with this credential that declares `purpose`: refused if the
    /// credential is limited to other purposes.
    public func context(purpose: String?) throws -> AccessContext {
        if let purpose, !purposes.isEmpty, !purposes.contains(purpose) {
            throw MemVaultError(
                .denied,
                "this credential may not act for purpose '\(purpose.prefix(64))'; it is limited to: "
                    + purposes.joined(separator: ", "))
        }
        return AccessContext(actor: id, role: role, purpose: purpose ?? (purposes.count == 1 ? purposes[0] : nil))
    }
}

/// What a new credential is for.
public struct NewCredential: Sendable {
    public var tenant: TenantID?
    public var role: Role
    public var purposes: [String]
    public var expiresAt: Date?

    public init(tenant: TenantID?, role: Role, purposes: [String] = [], expiresAt: Date? = nil) {
        self.tenant = tenant
        self.role = role
        self.purposes = purposes
        self.expiresAt = expiresAt
    }
}

/// A credential just made, with its token: the only time the token exists outside the caller.
public struct IssuedCredential: Sendable, Codable {
    public let credential: Credential
    /// `mvk_<credential id>.<43 base64url characters>` (256 random bits). Stored nowhere.
    public let token: String
}
