package import GRDB

/// The schema of the installation's catalog (`DATA/catalog.sqlite`). Never edit a shipped migration: add one.
package enum CatalogSchema {
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenants (
                        tenant_id TEXT PRIMARY KEY NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting')),
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("v2: tenant policies") { db in
            try db.execute(sql: "ALTER TABLE tenants ADD COLUMN policy TEXT NOT NULL DEFAULT 'default'")
        }
        // Sealed tenant entries (with the latest checkpoint of each tenant's log), and the installation's own
        // audit log in the same format as a tenant's (Audit/SPEC.md).
        migrator.registerMigration("v3: sealed entries, installation audit log") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tenants ADD COLUMN has_holds INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE tenants ADD COLUMN checkpoint TEXT;
                    ALTER TABLE tenants ADD COLUMN seal BLOB;
                    \(AuditLogSchema.tables)
                    """)
        }
        // API credentials (docs/credentials.md): the secret only as a keyed hash, everything else clear and sealed.
        migrator.registerMigration("v4: credentials") { db in
            try db.execute(
                sql: """
                    CREATE TABLE credentials (
                        credential_id TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT,
                        role TEXT NOT NULL,
                        purposes TEXT NOT NULL,
                        secret_hash BLOB NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        revoked_by TEXT,
                        revoked_at INTEGER,
                        seal BLOB NOT NULL
                    ) STRICT;
                    CREATE INDEX credentials_by_tenant ON credentials(tenant_id, credential_id);
                    """)
        }
        // Tenant quotas (docs/http-api.md): `memories=…;bytes=…;rps=…`, sealed with the entry; NULL for none.
        migrator.registerMigration("v5: tenant quotas") { db in
            try db.execute(sql: "ALTER TABLE tenants ADD COLUMN quotas TEXT")
        }
        return migrator
    }
}

/// The audit log's tables, the same in a tenant's database and in the catalog.
package enum AuditLogSchema {
    package static let tables = """
        CREATE TABLE audit_log (
            sequence INTEGER PRIMARY KEY NOT NULL CHECK (sequence > 0),
            entry BLOB NOT NULL,
            hash BLOB NOT NULL
        ) STRICT;
        CREATE TABLE audit_checkpoints (
            size INTEGER PRIMARY KEY NOT NULL,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT;
        """
}
