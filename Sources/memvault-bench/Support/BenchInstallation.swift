import Foundation
import MemVault
import MemVaultPolicy
import MemVaultSQLite

/// A fresh installation in a temporary folder with one tenant under the default policy, acted on by an application
/// for service delivery: what every in-process scenario measures against.
struct BenchInstallation {
    let folder: URL
    let installation: Installation
    let store: MemoryStore
    let tenant: TenantStore

    static func make(
        _ label: String, tenant name: String = "bench", policies: URL, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> BenchInstallation {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-\(label)-\(UUID())")
        let installation = try Installation.initialise(
            at: folder.appending(path: "data").path,
            masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies), now: now)
        try await store.createTenant(TenantID(name), as: AccessContext(actor: "bench-admin", role: .administrator))
        let tenant = try await store.tenant(
            TenantID(name), as: AccessContext(actor: "bench", role: .application, purpose: "service-delivery"))
        return BenchInstallation(folder: folder, installation: installation, store: store, tenant: tenant)
    }

    /// Closes the store cleanly and removes the folder.
    func close() async throws {
        try await store.close()
        try installation.close()
        try? FileManager.default.removeItem(at: folder)
    }
}
