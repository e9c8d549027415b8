import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// Tenants and credentials. Tenants are the installation administrator's; credentials an administrator's, and a
/// tenant's administrator acts on its own tenant's only: another tenant's answers as one that does not exist.
extension API {
    func listTenants(_ input: Operations.ListTenants.Input) async throws -> Operations.ListTenants.Output {
        await answering {
            let tenants = try await store.tenants(as: try await installationContext())
            return .ok(.init(body: .json(.init(tenants: try tenants.map { try JSONBridge.convert($0) }))))
        }
    }

    func createTenant(_ input: Operations.CreateTenant.Input) async throws -> Operations.CreateTenant.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let tenant = try TenantID(body.id)
            let policy = body.policy ?? "default"
            try await store.createTenant(tenant, policy: policy, as: try await installationContext())
            return .created(.init(body: .json(.init(id: tenant.rawValue, policy: policy))))
        }
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        await answering {
            try await store.deleteTenant(try TenantID(input.path.tenantId), as: try await installationContext())
            return .noContent(.init())
        }
    }

    func setTenantPolicy(_ input: Operations.SetTenantPolicy.Input) async throws -> Operations.SetTenantPolicy.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let tenant = try TenantID(input.path.tenantId)
            try await store.setPolicy(body.policy, for: tenant, as: try await installationContext())
            return .ok(.init(body: .json(.init(id: tenant.rawValue, policy: body.policy))))
        }
    }

    func setTenantQuotas(_ input: Operations.SetTenantQuotas.Input) async throws -> Operations.SetTenantQuotas.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let tenant = try TenantID(input.path.tenantId)
            let quotas = TenantQuotas(
                maximumMemories: body.maximumMemories, maximumBytes: body.maximumBytes,
                requestsPerSecond: body.requestsPerSecond)
            let summary = try await store.setQuotas(quotas, for: tenant, as: try await installationContext())
            return .ok(.init(body: .json(try JSONBridge.convert(summary))))
        }
    }

    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        await answering {
            let store = try await tenantStore(purpose: nil)
            let usage = try await store.usage()
            return .ok(
                .init(
                    body: .json(
                        .init(
                            memories: usage.memories, bytes: usage.bytes, quotas: try JSONBridge.convert(store.quotas)))
                ))
        }
    }

    func listCredentials(_ input: Operations.ListCredentials.Input) async throws -> Operations.ListCredentials.Output {
        await answering {
            let credential = try await authenticated()
            let tenant = try scopedTenant(input.query.tenant, for: credential)
            let installationOnly = input.query.installationOnly ?? false
            if installationOnly, tenant != nil {
                throw MemVaultError(.invalidArgument, "installationOnly lists installation credentials: name no tenant")
            }
            let credentials = try await store.credentials(
                tenant: tenant, installationOnly: installationOnly,
                as: credential.context(purpose: nil))
            return .ok(.init(body: .json(.init(credentials: try credentials.map { try JSONBridge.convert($0) }))))
        }
    }

    func createCredential(_ input: Operations.CreateCredential.Input) async throws -> Operations.CreateCredential.Output
    {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let credential = try await authenticated()
            let tenant = try scopedTenant(body.tenant, for: credential)
            guard let role = Role(rawValue: body.role.rawValue) else { throw Problems.unsupportedBody }
            let issued = try await store.createCredential(
                NewCredential(tenant: tenant, role: role, purposes: body.purposes ?? [], expiresAt: body.expiresAt),
                as: credential.context(purpose: nil))
            return .created(.init(body: .json(try JSONBridge.convert(issued))))
        }
    }

    func revokeCredential(_ input: Operations.RevokeCredential.Input) async throws -> Operations.RevokeCredential.Output
    {
        await answering {
            let credential = try await authenticated()
            let context = try credential.context(purpose: nil)
            if let tenant = credential.tenant {
                // A tenant's administrator revokes its own tenant's credentials; any other id is unknown to it.
                let own = try await store.credentials(tenant: tenant, as: context)
                let id = input.path.credentialId
                // Answered as the library answers an unknown id (a malformed one it refuses itself).
                if !own.contains(where: { $0.id == id }), id.hasPrefix("cred_"), id.count == 31 {
                    throw MemVaultError(.notFound, "no active credential '\(id)'")
                }
            }
            let revoked = try await store.revokeCredential(input.path.credentialId, as: context)
            return .ok(.init(body: .json(try JSONBridge.convert(revoked))))
        }
    }

    /// The context of an installation credential; a tenant's credential never acts on the installation.
    private func installationContext() async throws -> AccessContext {
        let credential = try await authenticated()
        guard credential.tenant == nil else {
            throw MemVaultError(.denied, "only an installation credential manages tenants")
        }
        return try credential.context(purpose: nil)
    }

    /// The tenant a credential request is about: the caller's own for a tenant's credential (naming another one
    /// answers as an unknown tenant), the named one (or none) for an installation credential.
    func scopedTenant(_ named: String?, for credential: Credential) throws -> TenantID? {
        let tenant = try named.map { try TenantID($0) }
        guard let own = credential.tenant else { return tenant }
        if let tenant, tenant != own { throw MemVaultError.unknown(tenant) }
        return own
    }
}
