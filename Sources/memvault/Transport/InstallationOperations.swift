import MemVault
import MemVaultPolicy

/// What the command line asks of the installation (tenants, credentials, keys, the audit logs), answered by a data
/// folder with the master key (`LocalInstallation`) or by a running server with a credential
/// (`RemoteInstallation`), so each command has one code path over both.
protocol InstallationOperations: Sendable {
    func createTenant(_ tenant: TenantID, policy: String) async throws
    func tenants() async throws -> [TenantSummary]
    func setPolicy(_ policy: String, for tenant: TenantID) async throws
    func setQuotas(_ quotas: TenantQuotas, for tenant: TenantID) async throws -> TenantSummary
    func deleteTenant(_ tenant: TenantID) async throws

    func createCredential(_ new: NewCredential) async throws -> IssuedCredential
    func credentials(tenant: TenantID?, installationOnly: Bool) async throws -> [Credential]
    func revokeCredential(_ id: String) async throws -> Credential

    func keyStatus(_ tenant: TenantID?) async throws -> KeyStatusReport
    func rotateTenantKey(_ tenant: TenantID) async throws -> UInt32
    /// How many data keys were re-wrapped, and the primary version they are now under.
    func rewrapDataKeys(_ tenant: TenantID) async throws -> (rewrapped: Int, primaryVersion: UInt32)
    func retireTenantKey(_ tenant: TenantID, version: UInt32) async throws

    /// One tenant's operations, for the audit and key commands that act on one.
    func tenant(_ tenant: TenantID) async throws -> any TenantOperations
    /// The installation's audit log.
    func installationAudit() async throws -> any AuditLogOperations
    /// The logs `memvault audit verify` checks when given none: every tenant's and the installation's on a data
    /// folder; the credential's own through a server.
    func everyAuditLog() async throws -> [AuditLogSelection]
}

/// The key hierarchy's status as `memvault keys status` prints it.
struct KeyStatusReport: Codable, Sendable {
    /// Where the master key comes from; a server tells only an installation credential.
    let masterKey: String?
    let tenants: [TenantKeyStatus]
}

/// One audit log and the origin its checkpoints name.
struct AuditLogSelection: Sendable {
    let origin: String
    let log: any AuditLogOperations
}

/// The installation on a data folder, acting as `context`.
struct LocalInstallation: InstallationOperations {
    let store: MemoryStore
    let context: AccessContext

    func createTenant(_ tenant: TenantID, policy: String) async throws {
        try await store.createTenant(tenant, policy: policy, as: context)
    }
    func tenants() async throws -> [TenantSummary] { try await store.tenants(as: context) }
    func setPolicy(_ policy: String, for tenant: TenantID) async throws {
        try await store.setPolicy(policy, for: tenant, as: context)
    }
    func setQuotas(_ quotas: TenantQuotas, for tenant: TenantID) async throws -> TenantSummary {
        try await store.setQuotas(quotas, for: tenant, as: context)
    }
    func deleteTenant(_ tenant: TenantID) async throws { try await store.deleteTenant(tenant, as: context) }

    func createCredential(_ new: NewCredential) async throws -> IssuedCredential {
        try await store.createCredential(new, as: context)
    }
    func credentials(tenant: TenantID?, installationOnly: Bool) async throws -> [Credential] {
        try await store.credentials(tenant: tenant, installationOnly: installationOnly, as: context)
    }
    func revokeCredential(_ id: String) async throws -> Credential {
        try await store.revokeCredential(id, as: context)
    }

    func keyStatus(_ tenant: TenantID?) async throws -> KeyStatusReport {
        KeyStatusReport(
            masterKey: store.keys.masterKeySource, tenants: try await store.keyStatus(tenant, as: context))
    }
    func rotateTenantKey(_ tenant: TenantID) async throws -> UInt32 {
        try await store.tenant(tenant, as: context).rotateTenantKey()
    }
    func rewrapDataKeys(_ tenant: TenantID) async throws -> (rewrapped: Int, primaryVersion: UInt32) {
        let store = try await store.tenant(tenant, as: context)
        return (try await store.rewrapDataKeys(), try await store.primaryKeyVersion())
    }
    func retireTenantKey(_ tenant: TenantID, version: UInt32) async throws {
        try await store.tenant(tenant, as: context).retireTenantKey(version: version)
    }

    func tenant(_ tenant: TenantID) async throws -> any TenantOperations {
        try await store.tenant(tenant, as: context)
    }
    func installationAudit() async throws -> any AuditLogOperations { store.installationAudit(as: context) }
    func everyAuditLog() async throws -> [AuditLogSelection] {
        var logs: [AuditLogSelection] = []
        for summary in try await store.tenants(as: context) {
            logs.append(
                AuditLogSelection(
                    origin: AuditOrigins.tenant(summary.id),
                    log: TenantAuditLog(tenant: try await store.tenant(summary.id, as: context))))
        }
        logs.append(AuditLogSelection(origin: AuditOrigins.installation, log: store.installationAudit(as: context)))
        return logs
    }
}
