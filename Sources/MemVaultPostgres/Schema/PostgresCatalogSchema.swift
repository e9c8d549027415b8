/// The installation's catalog on PostgreSQL (schema `memvault_catalog`): sealed tenant entries with where each
/// tenant's records live, the installation's audit log and the API credentials. Columns mirror the SQLite catalog's.
enum PostgresCatalogSchema {
    static let schema = "memvault_catalog"

    static let migrations = [
        PostgresMigration(
            name: "v1",
            statements: [
                """
                CREATE TABLE tenants (
                    tenant_id TEXT PRIMARY KEY,
                    state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting')),
                    created_at BIGINT NOT NULL,
                    policy TEXT NOT NULL,
                    has_holds BOOLEAN NOT NULL,
                    checkpoint TEXT,
                    quotas TEXT,
                    seal BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE credentials (
                    credential_id TEXT PRIMARY KEY,
                    tenant_id TEXT,
                    role TEXT NOT NULL,
                    purposes TEXT NOT NULL,
                    secret_hash BYTEA NOT NULL,
                    created_by TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_by TEXT,
                    revoked_at BIGINT,
                    seal BYTEA NOT NULL
                )
                """,
                "CREATE INDEX credentials_by_tenant ON credentials (tenant_id, credential_id)",
            ] + PostgresAuditLogSchema.tables),
        // Tenant placement: which PostgreSQL server holds each tenant's schema (docs/postgres.md). The servers are
        // named by the operator; the catalog's own server is "primary". `moving_to`: a move under way;
        // `left_behind`: a moved tenant's old copy not yet removed (a move run again removes it).
        PostgresMigration(
            name: "v2: tenant placement",
            statements: [
                """
                CREATE TABLE placements (
                    tenant_id TEXT PRIMARY KEY,
                    server TEXT NOT NULL,
                    schema_name TEXT NOT NULL UNIQUE,
                    moving_to TEXT,
                    left_behind TEXT
                )
                """
            ]),
    ]
}

/// The audit log's tables, the same in a tenant's schema and in the catalog.
enum PostgresAuditLogSchema {
    static let tables = [
        """
        CREATE TABLE audit_log (
            sequence BIGINT PRIMARY KEY CHECK (sequence > 0),
            entry BYTEA NOT NULL,
            hash BYTEA NOT NULL
        )
        """,
        """
        CREATE TABLE audit_checkpoints (
            size BIGINT PRIMARY KEY,
            root BYTEA NOT NULL,
            note TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
    ]
}
