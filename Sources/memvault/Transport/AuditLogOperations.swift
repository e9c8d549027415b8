import MemVault
import MemVaultAudit

/// One audit log, as the `audit` commands read it: the installation's (`InstallationAudit`, or a server's for an
/// installation credential) or a tenant's (`TenantAuditLog`). The requirements are `InstallationAudit`'s own.
protocol AuditLogOperations: Sendable {
    func entries(_ filter: AuditFilter) async throws -> [AuditEntry]
    func verify(checkpoints given: [String]) async throws -> AuditVerification
    func signCheckpoint() async throws -> String
    func verifierKey() async throws -> CheckpointVerifier
    func inclusionProof(sequence: UInt64) async throws -> AuditInclusionProof
    func consistencyProof(from note: String) async throws -> AuditConsistencyProof
}

extension InstallationAudit: AuditLogOperations {}

/// A tenant's log, through whichever transport reaches the tenant.
struct TenantAuditLog: AuditLogOperations {
    let tenant: any TenantOperations

    func entries(_ filter: AuditFilter) async throws -> [AuditEntry] { try await tenant.auditLog(filter) }
    func verify(checkpoints given: [String]) async throws -> AuditVerification {
        try await tenant.verifyAudit(checkpoints: given)
    }
    func signCheckpoint() async throws -> String { try await tenant.signAuditCheckpoint() }
    func verifierKey() async throws -> CheckpointVerifier { try await tenant.auditVerifierKey() }
    func inclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        try await tenant.auditInclusionProof(sequence: sequence)
    }
    func consistencyProof(from note: String) async throws -> AuditConsistencyProof {
        try await tenant.auditConsistencyProof(from: note)
    }
}
