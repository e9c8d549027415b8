import Foundation
import GRDB
import MemVaultSQLite
import Testing

@testable import MemVault

@Suite("Tenant lifecycle")
struct TenantLifecycleTests {
    @Test("create, list and delete: deletion destroys the keys and removes every database file")
    func createListDelete() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        #expect(try await fixture.store.tenants().map(\.rawValue) == ["acme", "globex"])
        let duplicate = try await #require(throws: MemVaultError.self) {
            try await fixture.store.createTenant(TenantID("acme"))
        }
        #expect(duplicate.code == .tenantExists)

        let globex = try await fixture.tenant("globex")
        let cube = try await globex.createCube(NewCube(owner: .tenant, name: "c"))
        _ = try await globex.addMemory(.text("to be shredded"), to: cube.id)
        try await fixture.store.deleteTenant(TenantID("globex"))

        #expect(try await fixture.store.tenants().map(\.rawValue) == ["acme"])
        #expect(try fixture.installation.keys.tenants().map(\.rawValue) == ["acme"])
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.root.appending("data/tenants"))
        #expect(!files.contains { $0.hasPrefix("globex") }, "\(files)")
        let gone = try await #require(throws: MemVaultError.self) { try await fixture.store.tenant(TenantID("globex")) }
        #expect(gone.code == .unknownTenant)
        // The name can be used again, for a new, empty tenant.
        try await fixture.store.createTenant(TenantID("globex"))
        #expect(try await fixture.tenant("globex").cubes().items.isEmpty)
    }

    @Test("a deletion interrupted by a crash is completed when the store next opens")
    func interruptedDeletion() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        // What deleteTenant writes before it destroys anything: the sealed entry in the deleting state. Then the
        // process dies (the store is closed without going further).
        let globex = try TenantID("globex")
        let catalog = fixture.store.catalog
        try await catalog.storage.unitOfWork { transaction in
            let entry = try catalog.verified(try #require(try transaction.tenantEntry(globex)))
            try transaction.saveTenantEntry(try catalog.resealed(entry, state: .deleting))
        }
        try await fixture.store.close()

        let reopened = try await fixture.reopened()
        #expect(try await reopened.tenants().map(\.rawValue) == ["acme"])
        #expect(!FileManager.default.fileExists(atPath: fixture.databasePath("globex")))
        #expect(try fixture.installation.keys.tenants().map(\.rawValue) == ["acme"])
    }

    @Test("a database file the catalog does not know is never overwritten")
    func unknownDatabaseFileIsKept() async throws {
        let fixture = try await StoreFixture.make(tenants: [])
        let stray = fixture.databasePath("orphan")
        #expect(FileManager.default.createFile(atPath: stray, contents: Data("precious".utf8)))
        let error = try await #require(throws: MemVaultError.self) {
            try await fixture.store.createTenant(TenantID("orphan"))
        }
        #expect(error.code == .conflict && error.message.contains("catalog does not list it"))
        #expect(FileManager.default.contents(atPath: stray) == Data("precious".utf8))
    }

    @Test("unknown tenants are refused")
    func unknownTenant() async throws {
        let fixture = try await StoreFixture.make()
        for operation in [
            { _ = try await fixture.store.tenant(TenantID("nobody")) },
            { try await fixture.store.deleteTenant(TenantID("nobody")) },
        ] as [() async throws -> Void] {
            let error = try await #require(throws: MemVaultError.self) { try await operation() }
            #expect(error.code == .unknownTenant)
        }
    }
}
