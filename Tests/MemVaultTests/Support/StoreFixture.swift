import Foundation
import GRDB
import Logging
import MemVaultPolicy
import MemVaultSQLite
import Synchronization

@testable import MemVault

/// A fresh installation with a memory store, in its own temporary folder (the master key beside the data folder,
/// not in it).
struct StoreFixture {
    let root: TemporaryFolder
    let installation: Installation
    let store: MemoryStore
    let clock: TestClock

    var dataPath: String { root.appending("data") }
    var keyFile: String { root.appending("master.key") }
    var masterKey: MasterKeySource { .keyFile(path: keyFile) }

    /// The repository's own Policies folder.
    static let policiesFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Policies")
    static var policies: PolicyRegistry { PolicyRegistry(folder: policiesFolder) }

    static func make(
        limits: StoreLimits = StoreLimits(), tenants: [String] = ["acme"], auditCheckpointInterval: UInt64 = 1_000,
        logger: Logger = Logger(label: "memvault", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> StoreFixture {
        let root = try TemporaryFolder()
        let installation = try Installation.initialise(
            at: root.appending("data"), masterKey: .keyFile(path: root.appending("master.key")))
        let clock = TestClock()
        let store = try await MemoryStore.open(
            installation, policies: policies, limits: limits, auditCheckpointInterval: auditCheckpointInterval,
            logger: logger, now: { clock.now })
        for tenant in tenants { try await store.createTenant(TenantID(tenant)) }
        return StoreFixture(root: root, installation: installation, store: store, clock: clock)
    }

    /// The same data folder opened again, as a new process would.
    func reopened(
        limits: StoreLimits = StoreLimits(),
        logger: Logger = Logger(label: "memvault", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> MemoryStore {
        let installation = try Installation.open(at: dataPath, masterKey: masterKey)
        let clock = clock
        return try await MemoryStore.open(
            installation, policies: Self.policies, limits: limits, logger: logger, now: { clock.now })
    }

    func tenant(_ name: String = "acme", as context: AccessContext = .serviceDelivery) async throws -> TenantStore {
        try await store.tenant(TenantID(name), as: context)
    }

    func databasePath(_ tenant: String = "acme") -> String {
        root.appending("data/tenants/\(tenant).sqlite")
    }

    var catalogPath: String { root.appending("data/catalog.sqlite") }

    func rowCount(_ table: String, tenant: String = "acme") throws -> Int {
        var count = 0
        try tamper(tenant) { db in count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        return count
    }

    /// Direct SQL on a tenant's database, as an attacker with file access would.
    func tamper(_ tenant: String = "acme", _ body: (Database) throws -> Void) throws {
        try Self.tamper(path: databasePath(tenant), body)
    }

    /// Direct SQL on the catalog, as an attacker with file access would.
    func tamperCatalog(_ body: (Database) throws -> Void) throws {
        try Self.tamper(path: catalogPath, body)
    }

    static func tamper(path: String, _ body: (Database) throws -> Void) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction(body)
        try queue.close()
    }
}

/// The store's clock in tests: real time, moved on (or back) when a test needs time to have passed.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    func advance(by interval: TimeInterval) {
        offset.withLock { $0 += interval }
    }
}

extension AccessContext {
    /// The assistant delivering its contracted service: no consent needed under the default policy.
    static let serviceDelivery = AccessContext(actor: "test-app", role: .application, purpose: "service-delivery")
    static let personalisation = AccessContext(actor: "test-app", role: .application, purpose: "personalisation")
    static let dataProtectionOfficer = AccessContext(
        actor: "test-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights")
    static let administrator = AccessContext(actor: "test-admin", role: .administrator, purpose: "service-delivery")
    static let auditor = AccessContext(actor: "test-auditor", role: .auditor)
}

extension MemoryStore {
    /// The tenant's store for the service-delivery application context.
    func tenant(_ id: TenantID) async throws -> TenantStore {
        try await tenant(id, as: .serviceDelivery)
    }

    /// Installation operations as the tests' administrator.
    func createTenant(_ tenant: TenantID, policy: String = "default") async throws {
        try await createTenant(tenant, policy: policy, as: .administrator)
    }

    func deleteTenant(_ tenant: TenantID) async throws {
        try await deleteTenant(tenant, as: .administrator)
    }

    func tenants() async throws -> [TenantID] {
        try await tenants(as: .administrator).map(\.id)
    }

    func tenantPolicies() async throws -> [(tenant: TenantID, policy: String)] {
        try await tenants(as: .administrator).map { ($0.id, $0.policy) }
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
