import Foundation
import GRDB

@testable import MemVault

/// A fresh installation with a memory store, in its own temporary folder.
struct StoreFixture {
    let root: TemporaryFolder
    let installation: Installation
    let store: MemoryStore

    var dataPath: String { root.appending("data") }

    static func make(limits: StoreLimits = StoreLimits(), tenants: [String] = ["acme"]) async throws -> StoreFixture {
        let root = try TemporaryFolder()
        let installation = try Installation.initialise(at: root.appending("data"), masterKey: .keyFile(path: nil))
        let store = try await MemoryStore.open(installation, limits: limits)
        for tenant in tenants { try await store.createTenant(TenantID(tenant)) }
        return StoreFixture(root: root, installation: installation, store: store)
    }

    /// The same data folder opened again, as a new process would.
    func reopened(limits: StoreLimits = StoreLimits()) async throws -> MemoryStore {
        let installation = try Installation.open(at: dataPath, masterKey: .keyFile(path: nil))
        return try await MemoryStore.open(installation, limits: limits)
    }

    func tenant(_ name: String = "acme") async throws -> TenantStore {
        try await store.tenant(TenantID(name))
    }

    func databasePath(_ tenant: String = "acme") -> String {
        root.appending("data/tenants/\(tenant).sqlite")
    }

    func rowCount(_ table: String, tenant: String = "acme") throws -> Int {
        var count = 0
        try tamper(tenant) { db in count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        return count
    }

    /// Direct SQL on a tenant's database, as an attacker with file access would.
    func tamper(_ tenant: String = "acme", _ body: (Database) throws -> Void) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: databasePath(tenant), configuration: configuration)
        try queue.writeWithoutTransaction(body)
        try queue.close()
    }
}

extension NewMemory {
    static func text(_ text: String, tags: [String] = [], category: String? = nil) -> NewMemory {
        NewMemory(content: .text(text), category: category, tags: tags)
    }
}

extension MemoryContent {
    var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}
