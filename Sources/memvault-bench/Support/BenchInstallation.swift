import Foundation
import MemVault
import MemVaultPolicy
import MemVaultPostgres
import MemVaultSQLite

/// A fresh installation in a temporary folder (or a PostgreSQL database) with one tenant under the default policy,
/// acted on by an application for service delivery: what every in-process scenario measures against.
struct BenchInstallation {
    let folder: URL
    let store: MemoryStore
    let tenant: TenantStore
    /// Closes the key store (after the store), for scenarios that then read the files alone.
    let closeInstallation: @Sendable () throws -> Void

    static func make(
        _ label: String, tenant name: String = "bench", policies: URL, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> BenchInstallation {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-\(label)-\(UUID())")
        let installation = try Installation.initialise(
            at: folder.appending(path: "data").path,
            masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies), now: now)
        return try await BenchInstallation(folder: folder, store: store, tenant: name, close: installation.close)
    }

    /// The same on PostgreSQL: a new installation in the empty database `url`, its master key in a temporary folder.
    static func make(
        _ label: String, postgres url: PostgresURL, tenant name: String = "bench", policies: URL
    ) async throws -> BenchInstallation {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-\(label)-\(UUID())")
        let installation = try PostgresInstallation.initialise(
            url: url, masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies))
        return try await BenchInstallation(folder: folder, store: store, tenant: name, close: installation.close)
    }

    private init(folder: URL, store: MemoryStore, tenant name: String, close: @escaping @Sendable () throws -> Void)
        async throws
    {
        try await store.createTenant(TenantID(name), as: AccessContext(actor: "bench-admin", role: .administrator))
        self.folder = folder
        self.store = store
        self.closeInstallation = close
        tenant = try await store.tenant(
            TenantID(name), as: AccessContext(actor: "bench", role: .application, purpose: "service-delivery"))
    }

    /// Closes the store cleanly and removes the folder.
    func close() async throws {
        try await store.close()
        try closeInstallation()
        try? FileManager.default.removeItem(at: folder)
    }
}
