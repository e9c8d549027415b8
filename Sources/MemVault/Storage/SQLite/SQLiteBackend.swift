import Foundation
import GRDB
import Synchronization

/// The embedded backend: a catalog database listing tenants, and one SQLite database per tenant in
/// `DATA/tenants/` (isolation, per-tenant write concurrency, whole-tenant removal by deleting files).
public final class SQLiteBackend: StorageBackend {
    private let catalog: DatabaseQueue
    private let tenantsFolder: URL
    private let configuration: SQLiteConfiguration
    /// One open storage per tenant per process, so each tenant has exactly one group-commit writer here.
    private let open = Mutex([TenantID: SQLiteTenantStorage]())
    /// Set by `close()`; every later call fails instead of touching closed databases.
    private let closed = Mutex(false)

    public init(folder: DataFolder, configuration: SQLiteConfiguration = SQLiteConfiguration()) throws {
        self.configuration = configuration
        tenantsFolder = folder.tenantsFolder
        var options = Configuration()
        options.journalMode = .wal
        options.label = "MemVault catalog"
        options.busyMode = .timeout(configuration.busyTimeoutSeconds)
        options.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON") }
        do {
            try FileManager.default.createDirectory(
                at: tenantsFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            catalog = try DatabaseQueue(path: folder.catalog.path, configuration: options)
            try Self.catalogMigrator.migrate(catalog)
        } catch {
            throw storageError(error, "opening the catalog \(folder.catalog.path)")
        }
    }

    public func tenants() async throws -> [TenantEntry] {
        try catalogRead { db in
            try Row.fetchAll(db, sql: "SELECT tenant_id, state, policy FROM tenants ORDER BY tenant_id").map { row in
                TenantEntry(
                    tenant: try TenantID(row["tenant_id"]), state: try Self.decodeState(row["state"]),
                    policy: row["policy"])
            }
        }
    }

    public func setPolicy(_ policy: String, for tenant: TenantID) async throws {
        try catalogWrite { db in
            try db.execute(
                sql: "UPDATE tenants SET policy = ? WHERE tenant_id = ? AND state = 'active'",
                arguments: [policy, tenant.rawValue])
            guard db.changesCount > 0 else { throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)'") }
        }
    }

    public func beginCreatingTenant(_ tenant: TenantID, policy: String) async throws {
        let previous = try catalogWrite { db in
            let state = try state(db, tenant)
            if let state, state != .creating {
                throw MemVaultError(
                    .tenantExists,
                    state == .active ? "tenant '\(tenant)' already exists" : "tenant '\(tenant)' is being deleted")
            }
            if state == nil, FileManager.default.fileExists(atPath: databasePath(tenant)) {
                // Never overwrite data the catalog does not know about.
                throw MemVaultError(
                    .conflict,
                    "a database for tenant '\(tenant)' exists at \(databasePath(tenant)) but the catalog does not "
                        + "list it: restore the catalog, or move the file away")
            }
            try db.execute(
                sql: """
                    INSERT INTO tenants (tenant_id, state, created_at, policy) VALUES (?, 'creating', ?, ?)
                    ON CONFLICT (tenant_id) DO UPDATE SET created_at = excluded.created_at, policy = excluded.policy
                    """,
                arguments: [tenant.rawValue, StoredTime(now: .now), policy])
            return state
        }
        // The leftovers of a creation this catalog recorded but never finished hold no acknowledged data.
        if previous == .creating { try removeFiles(of: tenant) }
    }

    public func finishCreatingTenant(_ tenant: TenantID) async throws {
        let storage = try SQLiteTenantStorage(tenant: tenant, path: databasePath(tenant), configuration: configuration)
        open.withLock { $0[tenant] = storage }
        try catalogWrite { db in
            try db.execute(
                sql: "UPDATE tenants SET state = 'active' WHERE tenant_id = ?", arguments: [tenant.rawValue])
        }
    }

    public func beginDeletingTenant(_ tenant: TenantID) async throws {
        try catalogWrite { db in
            guard try state(db, tenant) != nil else {
                throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)'")
            }
            try db.execute(
                sql: "UPDATE tenants SET state = 'deleting' WHERE tenant_id = ?", arguments: [tenant.rawValue])
        }
        if let storage = open.withLock({ $0.removeValue(forKey: tenant) }) {
            try storage.close()
        }
    }

    public func finishDeletingTenant(_ tenant: TenantID) async throws {
        try removeFiles(of: tenant)
        try catalogWrite { db in
            try db.execute(sql: "DELETE FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
        }
    }

    public func storage(for tenant: TenantID) async throws -> any TenantStorage {
        try requireOpen()
        if let storage = open.withLock({ $0[tenant] }) { return storage }
        let state = try catalogRead { db in try self.state(db, tenant) }
        guard state == .active else {
            throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)': create it with `memvault tenant create`")
        }
        // Opened outside the lock (it touches the disk); if two callers race, the first stored wins.
        let storage = try SQLiteTenantStorage(tenant: tenant, path: databasePath(tenant), configuration: configuration)
        return open.withLock { open in
            if let existing = open[tenant] { return existing }
            open[tenant] = storage
            return storage
        }
    }

    public func close() async throws {
        closed.withLock { $0 = true }
        let storages = open.withLock { open in
            defer { open.removeAll() }
            return Array(open.values)
        }
        for storage in storages { try storage.close() }
        try catalog.close()
    }

    func databasePath(_ tenant: TenantID) -> String {
        tenantsFolder.appending(path: "\(tenant.rawValue).sqlite").path
    }

    /// The database and its WAL and shared-memory files.
    private func removeFiles(of tenant: TenantID) throws {
        let base = databasePath(tenant)
        for path in [base, base + "-wal", base + "-shm"] where FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw MemVaultError(.storage, "cannot remove \(path): \(error.localizedDescription)")
            }
        }
    }

    private func state(_ db: Database, _ tenant: TenantID) throws -> TenantState? {
        try String.fetchOne(db, sql: "SELECT state FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
            .map(Self.decodeState)
    }

    private static func decodeState(_ raw: String) throws -> TenantState {
        guard let state = TenantState(rawValue: raw) else {
            throw MemVaultError(.storage, "the catalog holds an unknown tenant state '\(raw.prefix(32))'")
        }
        return state
    }

    private func requireOpen() throws {
        guard !closed.withLock({ $0 }) else {
            throw MemVaultError(.storage, "the store was closed; open it again")
        }
    }

    private func catalogRead<T>(_ body: (Database) throws -> T) throws -> T {
        try requireOpen()
        do { return try catalog.read(body) } catch { throw storageError(error, "reading the catalog") }
    }

    private func catalogWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try requireOpen()
        do { return try catalog.write(body) } catch { throw storageError(error, "writing the catalog") }
    }

    private static var catalogMigrator: DatabaseMigrator {
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
        return migrator
    }
}
