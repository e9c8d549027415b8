public import Logging
public import MemVault
import PostgresNIO
import Synchronization

/// The backend for several stateless servers in front of PostgreSQL: the catalog (`memvault_catalog`) on the
/// primary database and a schema per tenant (`t_<tenant>`) on whichever of the deployment's PostgreSQL servers the
/// catalog places it (`PostgresServers`). Every MemVault server opens its own `PostgresBackend` over the same
/// servers; the advisory locks of `PostgresGroupCommit` keep each log one chain across them.
public final class PostgresBackend: StorageBackend, TenantPlacement {
    public var catalog: any CatalogStorage { catalogStorage }
    /// The primary database: the catalog's and the key store's.
    public var url: PostgresURL { servers.primary }
    public let servers: PostgresServers
    /// The backend's threads and connections for each server, by name.
    private let pools: [String: PostgresWorkers]
    private let control: SerialConnection
    private let catalogStorage: PostgresCatalogStorage
    private let logger: Logger
    private let open = Mutex([TenantID: PostgresTenantStorage]())

    private var primary: PostgresWorkers { pools[PostgresServers.primaryName]! }

    /// - Parameter threads: the backend's own threads per server, each with a connection: how many units of work
    ///   and reads run at once against one server.
    public convenience init(
        url: PostgresURL, threads: Int = 8,
        logger: Logger = Logger(label: "memvault.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws {
        try await self.init(servers: try PostgresServers(primary: url), threads: threads, logger: logger)
    }

    public init(
        servers: PostgresServers, threads: Int = 8,
        logger: Logger = Logger(label: "memvault.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws {
        self.servers = servers
        self.logger = logger
        pools = servers.all.mapValues { PostgresWorkers(url: $0, threads: threads, logger: logger) }
        control = SerialConnection(url: servers.primary, logger: logger)
        catalogStorage = PostgresCatalogStorage(
            workers: pools[PostgresServers.primaryName]!, logger: logger)
        do {
            try await primary.run {
                try PostgresMigrator.migrate(
                    $0, schema: PostgresCatalogSchema.schema, migrations: PostgresCatalogSchema.migrations)
            }
        } catch {
            for pool in pools.values { await pool.shutdown() }
            control.close()
            throw error
        }
    }

    /// A placement in the catalog, or a schema on the primary from before placements.
    public func hasTenantStorage(_ tenant: TenantID) throws -> Bool {
        let schema = PostgresTenantSchema.schema(for: tenant)
        return try control.run { connection in
            try PlacementRecords(connection: connection).placement(of: tenant) != nil
                || Self.schemaExists(schema, on: connection)
        }
    }

    /// Places the tenant on the server holding the fewest tenants (ties to the name first in order), then makes its
    /// schema there.
    public func createTenantStorage(_ tenant: TenantID) async throws {
        let schema = PostgresTenantSchema.schema(for: tenant)
        guard try !hasTenantStorage(tenant) else {
            throw MemVaultError(.conflict, "storage for tenant '\(tenant)' already exists (\(schema))")
        }
        let server = try await leastLoaded()
        let placed = try await primary.run { connection in
            try PlacementRecords(connection: connection).place(tenant, on: server, schema: schema)
        }
        guard placed else { throw MemVaultError(.conflict, "storage for tenant '\(tenant)' already exists") }
        do {
            try await pools[server]!.run { connection in
                try PostgresMigrator.migrate(connection, schema: schema, migrations: PostgresTenantSchema.migrations)
            }
        } catch {
            try? await primary.run { try PlacementRecords(connection: $0).remove(tenant) }
            throw error
        }
        logger.info("placed a tenant", metadata: ["tenant": "\(tenant)", "server": "\(server)"])
    }

    public func tenantStorage(_ tenant: TenantID) async throws -> any TenantStorage {
        if let storage = open.withLock({ $0[tenant] }) { return storage }
        let location = try await locate(tenant)
        let storage = open.withLock { open in
            if let existing = open[tenant] { return existing }
            let storage = PostgresTenantStorage(
                tenant: tenant, location: location, logger: logger,
                locate: { [weak self] in
                    guard let self else { throw MemVaultError(.unavailable, "the PostgreSQL backend is closed") }
                    return try await self.locate(tenant)
                })
            open[tenant] = storage
            return storage
        }
        return storage
    }

    /// Where the tenant's schema is now, brought to this build's latest migration.
    private func locate(_ tenant: TenantID) async throws -> PostgresTenantStorage.Location {
        let placement = try await placement(of: tenant)
        let workers = try pool(placement.server, holding: tenant)
        try await workers.run {
            try PostgresMigrator.migrate($0, schema: placement.schema, migrations: PostgresTenantSchema.migrations)
        }
        return PostgresTenantStorage.Location(server: placement.server, schema: placement.schema, workers: workers)
    }

    private func placement(of tenant: TenantID) async throws -> Placement {
        let schema = PostgresTenantSchema.schema(for: tenant)
        return try await primary.run { connection in
            if let placement = try PlacementRecords(connection: connection).placement(of: tenant) { return placement }
            // A schema on the primary from before placements.
            guard try Self.schemaExists(schema, on: connection) else {
                throw MemVaultError(.unknownTenant, "tenant '\(tenant)' has no storage on PostgreSQL")
            }
            return Placement(server: PostgresServers.primaryName, schema: schema, movingTo: nil, leftBehind: nil)
        }
    }

    private static func schemaExists(_ schema: String, on connection: BlockingConnection) throws -> Bool {
        !(try connection.rows("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", "looking for the tenant's schema")
            .isEmpty)
    }

    /// Drops the tenant's schema with every table in it (its files unlinked by PostgreSQL), then its placement.
    public func removeTenantStorage(_ tenant: TenantID) async throws {
        _ = open.withLock { $0.removeValue(forKey: tenant) }
        let placement: Placement
        do {
            placement = try await self.placement(of: tenant)
        } catch let error as MemVaultError where error.code == .unknownTenant {
            return
        }
        for server in Set([placement.server, placement.movingTo, placement.leftBehind].compactMap { $0 }) {
            let workers = try pool(server, holding: tenant)
            try await workers.run { connection in
                try connection.execute(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(SQLName.quoted(placement.schema)) CASCADE"),
                    "removing the tenant's schema")
            }
        }
        try await primary.run { try PlacementRecords(connection: $0).remove(tenant) }
    }

    // MARK: Placement across servers

    public func servers() async throws -> [ServerLoad] {
        let counts = try await primary.run { try PlacementRecords(connection: $0).tenantsPerServer() }
        return servers.names.map { ServerLoad(name: $0, tenants: counts[$0] ?? 0) }
    }

    private func leastLoaded() async throws -> String {
        let loads = try await servers()
        return loads.min { ($0.tenants, $0.name) < ($1.tenants, $1.name) }!.name
    }

    public func server(of tenant: TenantID) async throws -> String {
        try await placement(of: tenant).server
    }

    public func moveTenant(
        _ tenant: TenantID, to target: String, progress: @escaping @Sendable (TenantMoveProgress) -> Void
    ) async throws -> TenantMoveReport {
        guard let destination = pools[target] else {
            throw MemVaultError(
                .invalidArgument,
                "no PostgreSQL server named '\(target)': this MemVault server has \(servers.names.joined(separator: ", "))"
            )
        }
        let placement = try await placement(of: tenant)
        if let leftBehind = placement.leftBehind {
            try await removeLeftBehind(tenant, schema: placement.schema, on: leftBehind)
            if placement.server == target {
                // The move had switched; what it had left to do (remove the old copy) is done.
                return TenantMoveReport(
                    tenant: tenant.rawValue, from: leftBehind, to: target, tables: 0, rows: 0, auditEntries: 0,
                    pauseMilliseconds: 0, totalMilliseconds: 0)
            }
        }
        if placement.server == target, placement.movingTo == nil {
            throw MemVaultError(.conflict, "tenant '\(tenant)' is already on the PostgreSQL server '\(target)'")
        }
        if let unfinished = placement.movingTo, unfinished != target {
            throw MemVaultError(
                .conflict, "tenant '\(tenant)' has an unfinished move to '\(unfinished)': run that move again first")
        }
        let source = try pool(placement.server, holding: tenant)
        let report = try await PostgresTenantMove(
            tenant: tenant, placement: placement, target: target, source: source, destination: destination,
            catalog: primary, progress: progress
        ).run()
        try await open.withLock { $0[tenant] }?.relocate()
        logger.info(
            "moved a tenant",
            metadata: [
                "tenant": "\(tenant)", "from": "\(report.from)", "to": "\(report.to)",
                "pause_ms": "\(Int(report.pauseMilliseconds))",
            ])
        return report
    }

    /// The connections to `server`, which holds some of `tenant`'s storage; `unavailable` if this process was not
    /// given it (never an empty tenant in its place).
    private func pool(_ server: String, holding tenant: TenantID) throws -> PostgresWorkers {
        guard let workers = pools[server] else {
            throw MemVaultError(
                .unavailable,
                "tenant '\(tenant)' has storage on the PostgreSQL server '\(server)', which this MemVault server was "
                    + "not given (--postgres-server \(server)=URL)")
        }
        return workers
    }

    /// The old copy a move could not remove when it switched (a later move removes it first).
    private func removeLeftBehind(_ tenant: TenantID, schema: String, on server: String) async throws {
        let workers = try pool(server, holding: tenant)
        try await workers.run { connection in
            try connection.execute(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(SQLName.quoted(schema)) CASCADE"),
                "removing the tenant's old copy")
        }
        try await primary.run { try PlacementRecords(connection: $0).clearLeftBehind(tenant) }
    }

    public func close() async throws {
        open.withLock { $0.removeAll() }
        for pool in pools.values { await pool.shutdown() }
        control.close()
    }
}
