import Foundation
import GRDB
import MemVaultPolicy

@testable import MemVault

/// A fresh installation with a memory store, in its own temporary folder.
struct StoreFixture {
    let root: TemporaryFolder
    let installation: Installation
    let store: MemoryStore

    var dataPath: String { root.appending("data") }

    /// The repository's own Policies folder.
    static let policiesFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Policies")
    static var policies: PolicyRegistry { PolicyRegistry(folder: policiesFolder) }

    static func make(limits: StoreLimits = StoreLimits(), tenants: [String] = ["acme"]) async throws -> StoreFixture {
        let root = try TemporaryFolder()
        let policies = Self.policies
        let installation = try Installation.initialise(at: root.appending("data"), masterKey: .keyFile(path: nil))
        let store = try await MemoryStore.open(installation, policies: policies, limits: limits)
        for tenant in tenants { try await store.createTenant(TenantID(tenant)) }
        return StoreFixture(root: root, installation: installation, store: store)
    }

    /// The same data folder opened again, as a new process would.
    func reopened(limits: StoreLimits = StoreLimits()) async throws -> MemoryStore {
        let installation = try Installation.open(at: dataPath, masterKey: .keyFile(path: nil))
        return try await MemoryStore.open(installation, policies: Self.policies, limits: limits)
    }

    func tenant(_ name: String = "acme", as context: AccessContext = .serviceDelivery) async throws -> TenantStore {
        try await store.tenant(TenantID(name), as: context)
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

extension AccessContext {
    /// The assistant delivering its contracted service: no consent needed under the default policy.
    static let serviceDelivery = AccessContext(actor: "test-app", role: .application, purpose: "service-delivery")
    static let personalisation = AccessContext(actor: "test-app", role: .application, purpose: "personalisation")
    static let dataProtectionOfficer = AccessContext(
        actor: "test-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights")
    static let administrator = AccessContext(actor: "test-admin", role: .administrator, purpose: "service-delivery")
}

extension MemoryStore {
    /// The tenant's store for the service-delivery application context.
    func tenant(_ id: TenantID) async throws -> TenantStore {
        try await tenant(id, as: .serviceDelivery)
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
