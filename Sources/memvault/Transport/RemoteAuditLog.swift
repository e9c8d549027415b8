import Foundation
import MemVault
import MemVaultAudit

/// The audit log of a credential over the HTTP API: its tenant's, or the installation's for an installation
/// credential (the server decides which from the credential, never from the request).
struct RemoteAuditLog: AuditLogOperations {
    let client: APIClient

    func entries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        struct Entries: Decodable { let entries: [AuditEntry] }
        var query: [URLQueryItem] = []
        if let from = filter.from { query.append(URLQueryItem(name: "from", value: Timestamps.format(from))) }
        if let until = filter.until { query.append(URLQueryItem(name: "until", value: Timestamps.format(until))) }
        if let action = filter.action { query.append(URLQueryItem(name: "action", value: action.rawValue)) }
        if let actor = filter.actor { query.append(URLQueryItem(name: "actor", value: actor)) }
        if let cube = filter.cube { query.append(URLQueryItem(name: "cube", value: cube.rawValue)) }
        if let subject = filter.subject { query.append(URLQueryItem(name: "subject", value: subject.rawValue)) }
        let list: Entries = try await client.send("GET", "v1/audit/entries", query: query)
        return list.entries
    }

    func verify(checkpoints given: [String]) async throws -> AuditVerification {
        try await client.send(
            "POST", "v1/audit/verify", body: ["checkpoints": JSONValue.array(given.map(JSONValue.string))])
    }

    func signCheckpoint() async throws -> String {
        struct Signed: Decodable { let checkpoint: String }
        let signed: Signed = try await client.send("POST", "v1/audit/checkpoints")
        return signed.checkpoint
    }

    func verifierKey() async throws -> CheckpointVerifier {
        struct Key: Decodable { let verifierKey: String }
        let key: Key = try await client.send("GET", "v1/audit/key")
        do {
            return try CheckpointVerifier(verifierKey: key.verifierKey)
        } catch {
            throw MemVaultError(.integrity, "the server's verifier key is malformed: \(error)")
        }
    }

    func inclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        try await client.send("GET", "v1/audit/proofs/inclusion/\(sequence)")
    }

    func consistencyProof(from note: String) async throws -> AuditConsistencyProof {
        try await client.send("POST", "v1/audit/proofs/consistency", body: ["checkpoint": JSONValue.string(note)])
    }
}

/// The tenant's audit log through `RemoteAuditLog`, under `TenantStore`'s names.
extension RemoteTenant {
    var auditLog: RemoteAuditLog { RemoteAuditLog(client: client) }

    func auditLog(_ filter: AuditFilter) async throws -> [AuditEntry] { try await auditLog.entries(filter) }
    func verifyAudit(checkpoints given: [String]) async throws -> AuditVerification {
        try await auditLog.verify(checkpoints: given)
    }
    func signAuditCheckpoint() async throws -> String { try await auditLog.signCheckpoint() }
    func auditVerifierKey() async throws -> CheckpointVerifier { try await auditLog.verifierKey() }
    func auditInclusionProof(sequence: UInt64) async throws -> AuditInclusionProof {
        try await auditLog.inclusionProof(sequence: sequence)
    }
    func auditConsistencyProof(from note: String) async throws -> AuditConsistencyProof {
        try await auditLog.consistencyProof(from: note)
    }
}
