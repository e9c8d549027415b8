import MemVault

/// The key hierarchy: its status, and rotation, rewrapping and retirement of a tenant's keys. An installation
/// credential acts on any tenant; a tenant's credential on its own only, another tenant answering as unknown.
extension API {
    func getKeyStatus(_ input: Operations.GetKeyStatus.Input) async throws -> Operations.GetKeyStatus.Output {
        await answering {
            let credential = try await authenticated()
            let tenant = try scopedTenant(input.query.tenant, for: credential)
            let status = try await store.keyStatus(tenant, as: credential.context(purpose: nil))
            // Where the master key lives is the installation's business, not a tenant's.
            let masterKey = credential.tenant == nil ? store.keys.masterKeySource : nil
            return .ok(
                .init(
                    body: .json(
                        .init(masterKey: masterKey, tenants: try status.map { try JSONBridge.convert($0) }))))
        }
    }

    func rotateTenantKey(_ input: Operations.RotateTenantKey.Input) async throws -> Operations.RotateTenantKey.Output {
        await answering {
            let (tenant, store) = try await keyedTenant(input.path.tenantId)
            let version = try await store.rotateTenantKey()
            return .ok(.init(body: .json(.init(tenant: tenant.rawValue, primaryVersion: Int(version)))))
        }
    }

    func rewrapDataKeys(_ input: Operations.RewrapDataKeys.Input) async throws -> Operations.RewrapDataKeys.Output {
        await answering {
            let (tenant, store) = try await keyedTenant(input.path.tenantId)
            let rewrapped = try await store.rewrapDataKeys()
            let primary = try await store.primaryKeyVersion()
            return .ok(
                .init(body: .json(.init(tenant: tenant.rawValue, rewrapped: rewrapped, primaryVersion: Int(primary)))))
        }
    }

    func retireTenantKey(_ input: Operations.RetireTenantKey.Input) async throws -> Operations.RetireTenantKey.Output {
        await answering {
            guard let version = UInt32(exactly: input.path.version), version >= 1 else {
                throw MemVaultError(.invalidArgument, "tenant key versions run from 1 to 4294967295")
            }
            let (tenant, store) = try await keyedTenant(input.path.tenantId)
            try await store.retireTenantKey(version: version)
            return .ok(.init(body: .json(.init(tenant: tenant.rawValue, retiredVersion: Int(version)))))
        }
    }

    /// The named tenant's store for the credential's key work: any tenant for an installation credential, only its
    /// own for a tenant's.
    private func keyedTenant(_ named: String) async throws -> (TenantID, TenantStore) {
        let credential = try await authenticated()
        let tenant = try scopedTenant(named, for: credential) ?? TenantID(named)
        return (tenant, try await store.tenant(tenant, as: credential.context(purpose: nil)))
    }
}
