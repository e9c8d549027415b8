import Foundation
import GRDB
public import Logging
public import MemVault
import Synchronization

/// The embedded backend: a catalog database, and one SQLite database per tenant in `DATA/tenants/` (isolation,
/// per-tenant write concurrency, whole-tenant removal by deleting files).
public final class SQLiteBackend: StorageBackend {
    public var catalog: any CatalogStorage { catalogStorage }
    private let catalogStorage: SQLiteCatalogStorage
    private let tenantsFolder: URL
    private let configuration: SQLiteConfiguration
    private let logger: Logger
    /// One open storage per tenant per process, so each tenant has exactly one group-commit writer here.
    private let open = Mutex([TenantID: SQLiteTenantStorage]())
    /// Set by `close()`; every later call fails instead of touching closed databases.
    private let closed = Mutex(false)

    /// - Parameter logger: where the backend logs: database names, counts and SQLite result codes, never values.
    public init(
        folder: DataFolder, configuration: SQLiteConfiguration = SQLiteConfiguration(),
        logger: Logger = Logger(label: "memvault.sqlite", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        self.configuration = configuration
        self.logger = logger
        tenantsFolder = folder.tenantsFolder
        try FilePermissions.prepareFolder(folder.url)
        try FilePermissions.prepareFolder(tenantsFolder)
        catalogStorage = try SQLiteCatalogStorage(
            path: folder.catalog.path, configuration: configuration, logger: logger)
    }

    public func hasTenantStorage(_ tenant: TenantID) throws -> Bool {
        !FilePermissions.databaseFiles(databasePath(tenant)).isEmpty
    }

    public func createTenantStorage(_ tenant: TenantID) async throws {
        try requireOpen()
        guard try !hasTenantStorage(tenant) else {
            throw MemVaultError(
                .conflict, "a database for tenant '\(tenant)' already exists at \(databasePath(tenant))")
        }
        let storage = try SQLiteTenantStorage(
            tenant: tenant, path: databasePath(tenant), configuration: configuration, create: true, logger: logger)
        open.withLock { $0[tenant] = storage }
    }

    public func tenantStorage(_ tenant: TenantID) async throws -> any TenantStorage {
        try requireOpen()
        if let storage = open.withLock({ $0[tenant] }) { return storage }
        // Opened outside the lock (it touches the disk); if two callers race, the first stored wins.
        let storage = try SQLiteTenantStorage(
            tenant: tenant, path: databasePath(tenant), configuration: configuration, create: false, logger: logger)
        return open.withLock { open in
            if let existing = open[tenant] { return existing }
            open[tenant] = storage
            return storage
        }
    }

    public func removeTenantStorage(_ tenant: TenantID) async throws {
        if let storage = open.withLock({ $0.removeValue(forKey: tenant) }) { try storage.close() }
        for path in FilePermissions.databaseFiles(databasePath(tenant)) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw MemVaultError(.storage, "cannot remove \(path): \(error.localizedDescription)")
            }
        }
    }

    public func close() async throws {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        let storages = open.withLock { open in
            defer { open.removeAll() }
            return Array(open.values)
        }
        var failure: (any Error)?
        for storage in storages {
            do { try storage.close() } catch { failure = failure ?? error }
        }
        do { try catalogStorage.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    public func databasePath(_ tenant: TenantID) -> String {
        tenantsFolder.appending(path: "\(tenant.rawValue).sqlite").path
    }

    private func requireOpen() throws {
        guard !closed.withLock({ $0 }) else {
            throw MemVaultError(.storage, "the store was closed; open it again")
        }
    }
}
