import Foundation
import MemVault
import MemVaultPolicy

/// `InstallationOperations` over the HTTP API (docs/openapi.yaml), as the client's credential: an installation
/// credential's, or a tenant administrator's for its own tenant (the server refuses the rest).
struct RemoteInstallation: InstallationOperations {
    let client: APIClient

    /// The credential the server authenticates the client as.
    func credential() async throws -> Credential { try await client.send("GET", "v1/whoami") }

    func createTenant(_ tenant: TenantID, policy: String) async throws {
        struct Created: Decodable { let id: String }
        let _: Created = try await client.send(
            "POST", "v1/tenants", body: ["id": JSONValue.string(tenant.rawValue), "policy": .string(policy)])
    }

    func tenants() async throws -> [TenantSummary] {
        struct Tenants: Decodable { let tenants: [TenantSummary] }
        let list: Tenants = try await client.send("GET", "v1/tenants")
        return list.tenants
    }

    func setPolicy(_ policy: String, for tenant: TenantID) async throws {
        struct Changed: Decodable { let id: String }
        let _: Changed = try await client.send(
            "PUT", "v1/tenants/\(tenant)/policy", body: ["policy": JSONValue.string(policy)])
    }

    func setQuotas(_ quotas: TenantQuotas, for tenant: TenantID) async throws -> TenantSummary {
        var body: [String: JSONValue] = [:]
        if let memories = quotas.maximumMemories { body["maximumMemories"] = .integer(memories) }
        if let bytes = quotas.maximumBytes { body["maximumBytes"] = .integer(bytes) }
        if let rate = quotas.requestsPerSecond { body["requestsPerSecond"] = .integer(rate) }
        return try await client.send("PUT", "v1/tenants/\(tenant)/quotas", body: body)
    }

    func deleteTenant(_ tenant: TenantID) async throws {
        try await client.send("DELETE", "v1/tenants/\(tenant)")
    }

    func createCredential(_ new: NewCredential) async throws -> IssuedCredential {
        var body: [String: JSONValue] = [
            "role": .string(new.role.rawValue), "purposes": .array(new.purposes.map(JSONValue.string)),
        ]
        if let tenant = new.tenant { body["tenant"] = .string(tenant.rawValue) }
        if let expiresAt = new.expiresAt { body["expiresAt"] = .string(Timestamps.format(expiresAt)) }
        return try await client.send("POST", "v1/credentials", body: body)
    }

    func credentials(tenant: TenantID?, installationOnly: Bool) async throws -> [Credential] {
        struct Credentials: Decodable { let credentials: [Credential] }
        var query: [URLQueryItem] = []
        if let tenant { query.append(URLQueryItem(name: "tenant", value: tenant.rawValue)) }
        if installationOnly { query.append(URLQueryItem(name: "installationOnly", value: "true")) }
        let list: Credentials = try await client.send("GET", "v1/credentials", query: query)
        return list.credentials
    }

    func revokeCredential(_ id: String) async throws -> Credential {
        try await client.send("DELETE", "v1/credentials/\(try RemoteTenant.pathSegment(id))")
    }

    func keyStatus(_ tenant: TenantID?) async throws -> KeyStatusReport {
        try await client.send(
            "GET", "v1/keys", query: tenant.map { [URLQueryItem(name: "tenant", value: $0.rawValue)] } ?? [])
    }

    func rotateTenantKey(_ tenant: TenantID) async throws -> UInt32 {
        struct Rotation: Decodable { let primaryVersion: UInt32 }
        let rotation: Rotation = try await client.send("POST", "v1/tenants/\(tenant)/keys/rotate")
        return rotation.primaryVersion
    }

    func rewrapDataKeys(_ tenant: TenantID) async throws -> (rewrapped: Int, primaryVersion: UInt32) {
        struct Rewrap: Decodable {
            let rewrapped: Int
            let primaryVersion: UInt32
        }
        let rewrap: Rewrap = try await client.send("POST", "v1/tenants/\(tenant)/keys/rewrap")
        return (rewrap.rewrapped, rewrap.primaryVersion)
    }

    func retireTenantKey(_ tenant: TenantID, version: UInt32) async throws {
        struct Retirement: Decodable { let retiredVersion: UInt32 }
        let _: Retirement = try await client.send("POST", "v1/tenants/\(tenant)/keys/\(version)/retire")
    }

    func tenant(_ tenant: TenantID) async throws -> any TenantOperations {
        try await RemoteTenant.connect(client, tenant: tenant.rawValue)
    }

    /// The server's installation log, which only an installation credential reads.
    func installationAudit() async throws -> any AuditLogOperations {
        if let tenant = try await credential().tenant {
            throw MemVaultError(
                .denied, "the credential in MEMVAULT_API_KEY is for tenant '\(tenant)', not the installation")
        }
        return RemoteAuditLog(client: client)
    }

    func everyAuditLog() async throws -> [AuditLogSelection] {
        let origin = try await credential().tenant.map(AuditOrigins.tenant) ?? AuditOrigins.installation
        return [AuditLogSelection(origin: origin, log: RemoteAuditLog(client: client))]
    }
}
