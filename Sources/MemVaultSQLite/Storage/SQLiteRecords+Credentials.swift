import Foundation
import GRDB
import MemVault

extension SQLiteRecords: CredentialRecords {
    func insertCredential(_ record: CredentialRecord) throws {
        try run("storing a credential") {
            try db.execute(
                sql: """
                    INSERT INTO credentials (credential_id, tenant_id, role, purposes, secret_hash, created_by,
                                             created_at, expires_at, revoked_by, revoked_at, seal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.tenant?.rawValue, record.role, record.purposes.joined(separator: " "),
                    Data(record.secretHash), record.createdBy, record.createdAt, record.expiresAt, record.revokedBy,
                    record.revokedAt, Data(record.seal),
                ])
        }
    }

    func updateCredential(_ record: CredentialRecord) throws -> Bool {
        try run("revoking a credential") {
            try db.execute(
                sql: "UPDATE credentials SET revoked_by = ?, revoked_at = ?, seal = ? WHERE credential_id = ?",
                arguments: [record.revokedBy, record.revokedAt, Data(record.seal), record.id])
            return db.changesCount > 0
        }
    }

    func credential(_ id: String) throws -> CredentialRecord? {
        try run("reading a credential") {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM credentials WHERE credential_id = ?"), arguments: [id]
            ).map(Self.credential)
        }
    }

    func credentials(tenant: TenantID?, installationOnly: Bool) throws -> [CredentialRecord] {
        try run("listing credentials") {
            let rows =
                if let tenant {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM credentials WHERE tenant_id = ? ORDER BY credential_id",
                        arguments: [tenant.rawValue])
                } else if installationOnly {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM credentials WHERE tenant_id IS NULL ORDER BY credential_id")
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM credentials ORDER BY credential_id")
                }
            return try rows.map(Self.credential)
        }
    }

    private static func credential(_ row: Row) throws -> CredentialRecord {
        let tenant: TenantID?
        do {
            tenant = try (row["tenant_id"] as String?).map(TenantID.init)
        } catch {
            throw malformed("credential tenant")
        }
        return CredentialRecord(
            id: row["credential_id"], tenant: tenant, role: row["role"],
            purposes: (row["purposes"] as String).split(separator: " ").map(String.init),
            secretHash: Array(row["secret_hash"] as Data), createdBy: row["created_by"], createdAt: row["created_at"],
            expiresAt: row["expires_at"], revokedBy: row["revoked_by"], revokedAt: row["revoked_at"],
            seal: Array(row["seal"] as Data))
    }
}
