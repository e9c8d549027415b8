public import Logging
public import MemVault
import PostgresNIO
import Synchronization

/// The backend for several stateless servers in front of PostgreSQL: the catalog (`memvault_catalog`) and a schema
/// per tenant (`t_<tenant>`) on one database. Every server opens its own `PostgresBackend` over the same URL; the
/// advisory locks of `PostgresGroupCommit` keep each log one chain across them.
public final class PostgresBackend: StorageBackend {
    public var catalog: any CatalogStorage { catalogStorage }
    public let url: PostgresURL
    private let workers: PostgresWorkers
    private let control: SerialConnection
    private let catalogStorage: PostgresCatalogStorage
    private let logger: Logger
    private let open = Mutex([TenantID: PostgresTenantStorage]())

    /// - Parameter threads: the backend's own threads, each with a connection: how many units of work and reads
    ///   run at once against the database.
    public init(
        url: PostgresURL, threads: Int = 8,
        logger: Logger = Logger(label: "memvault.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws {
        self.url = url
        self.logger = logger
        workers = PostgresWorkers(url: url, threads: threads, logger: logger)
        control = SerialConnection(url: url, logger: logger)
        catalogStorage = PostgresCatalogStorage(workers: workers, logger: logger)
        do {
            try await workers.run {
                try PostgresMigrator.migrate(
                    $0, schema: PostgresCatalogSchema.schema, migrations: PostgresCatalogSchema.migrations)
            }
        } catch {
            await workers.shutdown()
            control.close()
            throw error
        }
    }

    public func hasTenantStorage(_ tenant: TenantID) throws -> Bool {
        let schema = PostgresTenantSchema.schema(for: tenant)
        return try control.run { connection in
            !(try connection.rows(
                "SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", "looking for the tenant's schema"
            )
            .isEmpty)
        }
    }

    public func createTenantStorage(_ tenant: TenantID) async throws {
        let schema = PostgresTenantSchema.schema(for: tenant)
        guard try !hasTenantStorage(tenant) else {
            throw MemVaultError(.conflict, "a schema for tenant '\(tenant)' already exists (\(schema))")
        }
        try await workers.run { connection in
            try PostgresMigrator.migrate(connection, schema: schema, migrations: PostgresTenantSchema.migrations)
            try connection.execute(
                """
                INSERT INTO memvault_catalog.placements (tenant_id, server, schema_name)
                VALUES (\(tenant.rawValue), 'primary', \(schema))
                ON CONFLICT (tenant_id) DO UPDATE SET server = excluded.server, schema_name = excluded.schema_name
                """, "placing the tenant")
        }
        _ = storage(tenant, schema: schema)
    }

    public func tenantStorage(_ tenant: TenantID) async throws -> any TenantStorage {
        let schema = PostgresTenantSchema.schema(for: tenant)
        if let storage = open.withLock({ $0[tenant] }) { return storage }
        guard try hasTenantStorage(tenant) else {
            throw MemVaultError(.unknownTenant, "tenant '\(tenant)' has no schema in \(url)")
        }
        // Brought to this build's latest migration once per process.
        try await workers.run {
            try PostgresMigrator.migrate($0, schema: schema, migrations: PostgresTenantSchema.migrations)
        }
        return storage(tenant, schema: schema)
    }

    private func storage(_ tenant: TenantID, schema: String) -> PostgresTenantStorage {
        open.withLock { open in
            if let existing = open[tenant] { return existing }
            let storage = PostgresTenantStorage(tenant: tenant, schema: schema, workers: workers, logger: logger)
            open[tenant] = storage
            return storage
        }
    }

    /// Drops the tenant's schema with every table in it; its files are unlinked by PostgreSQL.
    public func removeTenantStorage(_ tenant: TenantID) async throws {
        let schema = PostgresTenantSchema.schema(for: tenant)
        _ = open.withLock { $0.removeValue(forKey: tenant) }
        try await workers.run { connection in
            try connection.execute(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(SQLName.quoted(schema)) CASCADE"),
                "removing the tenant's schema")
            try connection.execute(
                "DELETE FROM memvault_catalog.placements WHERE tenant_id = \(tenant.rawValue)", "removing a placement")
        }
    }

    public func close() async throws {
        open.withLock { $0.removeAll() }
        await workers.shutdown()
        control.close()
    }
}
