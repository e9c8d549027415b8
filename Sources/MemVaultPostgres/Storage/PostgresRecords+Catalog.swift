import MemVault
import PostgresNIO

extension PostgresRecords: TenantEntryRecords {
    func tenantEntries() throws -> [TenantEntryRecord] {
        try rows("SELECT * FROM tenants ORDER BY tenant_id", "reading the catalog").map(Self.entry)
    }

    func tenantEntry(_ tenant: TenantID) throws -> TenantEntryRecord? {
        try row("SELECT * FROM tenants WHERE tenant_id = \(tenant.rawValue)", "reading the catalog").map(Self.entry)
    }

    func saveTenantEntry(_ entry: TenantEntryRecord) throws {
        let quotas: String? = entry.quotas.isUnlimited ? nil : entry.quotas.canonical
        try execute(
            """
            INSERT INTO tenants (tenant_id, state, created_at, policy, has_holds, checkpoint, quotas, seal)
            VALUES (\(entry.tenant.rawValue), \(entry.state.rawValue), \(entry.createdAt), \(entry.policy),
                    \(entry.hasHolds), \(entry.checkpoint), \(quotas), \(bytea(entry.seal)))
            ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, created_at = excluded.created_at,
                policy = excluded.policy, has_holds = excluded.has_holds, checkpoint = excluded.checkpoint,
                quotas = excluded.quotas, seal = excluded.seal
            """, "writing the catalog")
    }

    func deleteTenantEntry(_ tenant: TenantID) throws {
        try execute("DELETE FROM tenants WHERE tenant_id = \(tenant.rawValue)", "writing the catalog")
    }

    private static func entry(_ row: Columns) throws -> TenantEntryRecord {
        guard let tenant = try? TenantID(try row["tenant_id", as: String.self]),
            let state = TenantState(rawValue: try row["state"])
        else { throw malformed("catalog entry") }
        let quotas = try (try row["quotas", as: String?.self]).map { text in
            guard let quotas = TenantQuotas(canonical: text) else { throw malformed("catalog entry's quotas") }
            return quotas
        }
        return TenantEntryRecord(
            tenant: tenant, state: state, policy: try row["policy"], createdAt: try row["created_at"],
            hasHolds: try row["has_holds"], checkpoint: try row["checkpoint"], quotas: quotas ?? .unlimited,
            seal: try row.bytes("seal"))
    }
}

extension PostgresRecords: CredentialRecords {
    func insertCredential(_ record: CredentialRecord) throws {
        try execute(
            """
            INSERT INTO credentials (credential_id, tenant_id, role, purposes, secret_hash, created_by, created_at,
                                     expires_at, revoked_by, revoked_at, seal)
            VALUES (\(record.id), \(record.tenant?.rawValue), \(record.role),
                    \(record.purposes.joined(separator: " ")), \(bytea(record.secretHash)), \(record.createdBy),
                    \(record.createdAt), \(record.expiresAt), \(record.revokedBy), \(record.revokedAt),
                    \(bytea(record.seal)))
            """, "storing a credential")
    }

    func updateCredential(_ record: CredentialRecord) throws -> Bool {
        try execute(
            """
            UPDATE credentials SET revoked_by = \(record.revokedBy), revoked_at = \(record.revokedAt),
                seal = \(bytea(record.seal))
            WHERE credential_id = \(record.id)
            """, "revoking a credential") > 0
    }

    func credential(_ id: String) throws -> CredentialRecord? {
        try row("SELECT * FROM credentials WHERE credential_id = \(id)", "reading a credential").map(Self.credential)
    }

    func credentials(tenant: TenantID?, installationOnly: Bool) throws -> [CredentialRecord] {
        let query: PostgresQuery =
            if let tenant {
                "SELECT * FROM credentials WHERE tenant_id = \(tenant.rawValue) ORDER BY credential_id"
            } else if installationOnly {
                "SELECT * FROM credentials WHERE tenant_id IS NULL ORDER BY credential_id"
            } else {
                "SELECT * FROM credentials ORDER BY credential_id"
            }
        return try rows(query, "listing credentials").map(Self.credential)
    }

    private static func credential(_ row: Columns) throws -> CredentialRecord {
        let tenant: TenantID?
        do {
            tenant = try (try row["tenant_id", as: String?.self]).map(TenantID.init)
        } catch {
            throw malformed("credential tenant")
        }
        return CredentialRecord(
            id: try row["credential_id"], tenant: tenant, role: try row["role"],
            purposes: (try row["purposes", as: String.self]).split(separator: " ").map(String.init),
            secretHash: try row.bytes("secret_hash"), createdBy: try row["created_by"],
            createdAt: try row["created_at"], expiresAt: try row["expires_at"], revokedBy: try row["revoked_by"],
            revokedAt: try row["revoked_at"], seal: try row.bytes("seal"))
    }
}
