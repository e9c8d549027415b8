import Foundation
import Logging
import MemVaultCrypto
import MemVaultPolicy

/// API credentials: made, listed and revoked by administrators (recorded in the installation's audit log), and
/// checked on every request. The secret (256 random bits) exists only in the token handed out once; the catalog
/// keeps an HMAC of it under a key derived from the master key, and a seal over every other field.
extension MemoryStore {
    static let tokenPrefix = "mvk_"
    static let credentialPrefix = "cred_"

    /// Makes a credential for a tenant (or, with `tenant` nil, for the installation: administrators and auditors
    /// only) and returns it with its token, which is not stored and cannot be shown again.
    public func createCredential(_ new: NewCredential, as context: AccessContext) async throws -> IssuedCredential {
        var purposes = Set(new.purposes).sorted()
        if let tenant = new.tenant {
            let entry = try await catalog.entry(of: tenant)
            guard entry.state == .active else { throw catalog.unknown(tenant) }
            purposes = try policies.engine(entry.policy).policy.declaredPurposes(purposes)
        } else {
            guard new.role == .administrator || new.role == .auditor else {
                throw MemVaultError(
                    .invalidArgument,
                    "an installation credential is for an administrator or an auditor; a \(new.role.rawValue) acts "
                        + "on one tenant: give its tenant")
            }
            guard purposes.isEmpty else {
                throw MemVaultError(.invalidArgument, "an installation credential takes no purposes")
            }
        }
        if let expiresAt = new.expiresAt, expiresAt <= now() {
            throw MemVaultError(.invalidArgument, "the expiry is in the past")
        }
        let id = try SortableIdentifier.make(prefix: Self.credentialPrefix)
        let secret = try SecureRandom.bytes(count: 32)
        let unsealed = CredentialRecord(
            id: id, tenant: new.tenant, role: new.role.rawValue, purposes: purposes,
            secretHash: try keys.credentialHash(secret), createdBy: context.actor, createdAt: StoredTime(now: now()),
            expiresAt: new.expiresAt.map { StoredTime(now: $0) }, revokedBy: nil, revokedAt: nil, seal: [])
        let record = try sealed(unsealed)
        try await catalog.perform(.createCredential, context: context) { work in
            try work.transaction.insertCredential(record)
            work.detail =
                "credential \(id): \(new.role.rawValue) of " + (new.tenant.map { "tenant \($0)" } ?? "the installation")
        }
        logger.info("created a credential", metadata: ["credential": "\(id)", "role": "\(new.role.rawValue)"])
        return IssuedCredential(
            credential: try credential(record),
            token: Self.tokenPrefix + id + "." + Self.base64URL(secret))
    }

    /// Credentials, in id order: of one tenant, of the installation only, or all.
    public func credentials(
        tenant: TenantID? = nil, installationOnly: Bool = false, as context: AccessContext
    ) async throws -> [Credential] {
        try await catalog.perform(.listCredentials, context: context) { [self] work in
            let records = try work.transaction.credentials(tenant: tenant, installationOnly: installationOnly)
            work.returned = UInt64(records.count)
            work.detail = "list"
            return try records.map { try credential(verified($0)) }
        }
    }

    /// Revokes a credential: the next request made with it is refused, in every process.
    public func revokeCredential(_ id: String, as context: AccessContext) async throws -> Credential {
        guard SortableIdentifier.isValid(id, prefix: Self.credentialPrefix) else {
            throw MemVaultError(.invalidArgument, "invalid credential id: expected 'cred_' and 26 base32 characters")
        }
        let time = StoredTime(now: now())
        let record = try await catalog.perform(.revokeCredential, context: context) { [self] work in
            guard let stored = try work.transaction.credential(id).map(verified), stored.revokedAt == nil else {
                throw MemVaultError(.notFound, "no active credential '\(id)'")
            }
            let revoked = try sealed(
                CredentialRecord(
                    id: stored.id, tenant: stored.tenant, role: stored.role, purposes: stored.purposes,
                    secretHash: stored.secretHash, createdBy: stored.createdBy, createdAt: stored.createdAt,
                    expiresAt: stored.expiresAt, revokedBy: context.actor, revokedAt: time, seal: []))
            guard try work.transaction.updateCredential(revoked) else {
                throw MemVaultError(.notFound, "no active credential '\(id)'")
            }
            work.detail = "credential \(id): revoked"
            return revoked
        }
        logger.info("revoked a credential", metadata: ["credential": "\(id)"])
        return try credential(record)
    }

    /// The credential a token stands for, if the token is well formed, its secret matches, and the credential is
    /// neither revoked nor expired, nor of a tenant that no longer exists. Every failure is the same
    /// `unauthenticated` error, so a caller learns nothing about which part was wrong; a credential edited in the
    /// catalog is refused too. Read from the catalog on every call: a revocation takes effect at the next request.
    public func authenticate(token: String) async throws -> Credential {
        let refused = MemVaultError(.unauthenticated, "the credential is malformed, unknown, revoked or expired")
        guard token.hasPrefix(Self.tokenPrefix), let dot = token.firstIndex(of: ".") else { throw refused }
        let id = String(token[token.index(token.startIndex, offsetBy: Self.tokenPrefix.count)..<dot])
        guard SortableIdentifier.isValid(id, prefix: Self.credentialPrefix),
            let secret = Self.base64URLDecode(String(token[token.index(after: dot)...])), secret.count == 32
        else { throw refused }
        let hash = try keys.credentialHash(secret)
        let (record, entry) = try await catalog.storage.read { reader in
            let record = try reader.credential(id)
            return (record, try record?.tenant.flatMap { try reader.tenantEntry($0) })
        }
        // The hash is compared even for an unknown id, so both take the same time.
        let matches = ConstantTime.equals(hash, record?.secretHash ?? [UInt8](repeating: 0, count: hash.count))
        guard let record, matches else { throw refused }
        let credential: Credential
        do {
            credential = try self.credential(verified(record))
        } catch let error as MemVaultError where error.code == .integrity {
            logger.warning("a stored credential failed its integrity check", metadata: ["credential": "\(id)"])
            throw refused
        }
        guard credential.isValid(at: now()) else { throw refused }
        if credential.tenant != nil {
            guard let entry, try catalog.verified(entry).state == .active else { throw refused }
        }
        return credential
    }

    // MARK: - Records

    private func sealed(_ record: CredentialRecord) throws -> CredentialRecord {
        CredentialRecord(
            id: record.id, tenant: record.tenant, role: record.role, purposes: record.purposes,
            secretHash: record.secretHash, createdBy: record.createdBy, createdAt: record.createdAt,
            expiresAt: record.expiresAt, revokedBy: record.revokedBy, revokedAt: record.revokedAt,
            seal: try keys.installationIntegrity.seal(
                Bindings.credential(installation: keys.installationID, record)))
    }

    private func verified(_ record: CredentialRecord) throws -> CredentialRecord {
        try keys.installationIntegrity.verify(
            record.seal, Bindings.credential(installation: keys.installationID, record), "credential \(record.id)")
        return record
    }

    private func credential(_ record: CredentialRecord) throws -> Credential {
        guard let role = Role(rawValue: record.role) else {
            throw MemVaultError(.integrity, "credential \(record.id) names an unknown role")
        }
        return Credential(
            id: record.id, tenant: record.tenant, role: role, purposes: record.purposes, createdBy: record.createdBy,
            createdAt: record.createdAt.date, expiresAt: record.expiresAt?.date, revokedBy: record.revokedBy,
            revokedAt: record.revokedAt?.date)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}
