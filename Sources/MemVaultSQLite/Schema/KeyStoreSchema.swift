import GRDB

/// The schema of the key store (`DATA/keys/keystore.sqlite`). Never edit a shipped migration: add one.
enum KeyStoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenant and data keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE key_store_metadata (
                        name TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE tenants (
                        tenant_id TEXT PRIMARY KEY NOT NULL,
                        primary_key_version INTEGER NOT NULL,
                        created_at TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE tenant_keys (
                        tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id) ON DELETE CASCADE,
                        version INTEGER NOT NULL CHECK (version > 0),
                        wrapped_key BLOB,
                        created_at TEXT NOT NULL,
                        retired_at TEXT,
                        CHECK ((wrapped_key IS NULL) = (retired_at IS NOT NULL)),
                        PRIMARY KEY (tenant_id, version)
                    ) STRICT;
                    CREATE TABLE data_keys (
                        tenant_id TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        version INTEGER NOT NULL CHECK (version > 0),
                        wrapped_key BLOB NOT NULL,
                        wrapped_by INTEGER NOT NULL,
                        encryptions_reserved INTEGER NOT NULL DEFAULT 0 CHECK (encryptions_reserved >= 0),
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, owner, version),
                        FOREIGN KEY (tenant_id, wrapped_by) REFERENCES tenant_keys(tenant_id, version)
                    ) STRICT;
                    CREATE INDEX data_keys_by_wrapping_key ON data_keys(tenant_id, wrapped_by);
                    """)
        }
        // Key generations (so other processes notice destroyed, rotated and retired keys) and counts of work done.
        migrator.registerMigration("v2: generations, encryptions done") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tenants ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE data_keys ADD COLUMN encryptions_done INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        return migrator
    }
}
