import Foundation
import GRDB
import MemVault
import MemVaultSQLite
import Testing

@Suite("Moved ciphertext does not open")
struct CiphertextRelocationTests {
    private func expectIntegrityFailure(_ operation: () async throws -> Void) async throws {
        let error = try await #require(throws: MemVaultError.self) { try await operation() }
        #expect(error.code == .integrity, "\(error)")
        #expect(error.message.contains("failed to open"))
    }

    @Test("a payload copied from one memory to another fails to open")
    func payloadSwap() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c"))
        let first = try await acme.addMemory(.text("first"), to: cube.id)
        let second = try await acme.addMemory(.text("second"), to: cube.id)
        try await fixture.store.close()
        try fixture.tamper { db in
            try db.execute(
                sql:
                    "UPDATE memories SET payload = (SELECT payload FROM memories WHERE memory_id = ?) WHERE memory_id = ?",
                arguments: [first.id.rawValue, second.id.rawValue])
        }
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        #expect(try await reopened.memory(first.id).content == .text("first"))
        try await expectIntegrityFailure { _ = try await reopened.memory(second.id) }
    }

    @Test("an old version's payload put back as current (rollback) fails to open")
    func rollback() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c"))
        let memory = try await acme.addMemory(.text("old"), to: cube.id)
        _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text("new")))
        try await fixture.store.close()
        try fixture.tamper { db in
            try db.execute(
                sql: """
                    UPDATE memories SET payload = (SELECT payload FROM memory_history WHERE memory_id = ? AND version = 1)
                    WHERE memory_id = ?
                    """,
                arguments: [memory.id.rawValue, memory.id.rawValue])
        }
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        try await expectIntegrityFailure { _ = try await reopened.memory(memory.id) }
    }

    @Test("a relabelled key version fails to open")
    func keyVersionRelabel() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c"))
        let memory = try await acme.addMemory(.text("x"), to: cube.id)
        try await fixture.store.close()
        try fixture.tamper { db in try db.execute(sql: "UPDATE memories SET key_version = 2") }
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        try await expectIntegrityFailure { _ = try await reopened.memory(memory.id) }
    }

    @Test("cube metadata and sealed external ids moved between rows fail to open")
    func metadataAndSubjectSwap() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let bob = try await acme.resolveSubject(externalID: "bob")
        let first = try await acme.createCube(NewCube(owner: .tenant, name: "one"))
        let second = try await acme.createCube(NewCube(owner: .tenant, name: "two"))
        try await fixture.store.close()
        try fixture.tamper { db in
            try db.execute(
                sql: "UPDATE cubes SET metadata = (SELECT metadata FROM cubes WHERE cube_id = ?) WHERE cube_id = ?",
                arguments: [first.id.rawValue, second.id.rawValue])
            try db.execute(
                sql: """
                    UPDATE subjects SET external_id = (SELECT external_id FROM subjects WHERE subject_id = ?)
                    WHERE subject_id = ?
                    """,
                arguments: [alice.id.rawValue, bob.id.rawValue])
        }
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        try await expectIntegrityFailure { _ = try await reopened.cube(second.id) }
        let subjectError = try await #require(throws: MemVaultError.self) { try await reopened.externalID(of: bob.id) }
        // Sealed under Alice's key: Bob's key is named in the header check, so it fails before decryption.
        #expect(subjectError.code == .integrity)
        #expect(try await reopened.externalID(of: alice.id) == "alice")
    }

    @Test("rows copied from one tenant's database into another's fail to open there")
    func crossTenantCopy() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let acme = try await fixture.tenant()
        let sharedCube = try await acme.createCube(NewCube(owner: .tenant, name: "shared"))
        let shared = try await acme.addMemory(.text("acme's shared knowledge"), to: sharedCube.id)
        let alice = try await acme.resolveSubject(externalID: "alice")
        let personalCube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "personal"))
        let personal = try await acme.addMemory(.text("alice's memory"), to: personalCube.id)
        try await fixture.store.close()

        try fixture.tamper("globex") { db in
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [fixture.databasePath("acme")])
            for table in ["subjects", "cubes", "memories"] {
                try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM source.\(table)")
            }
            try db.execute(sql: "DETACH DATABASE source")
        }
        let globex = try await fixture.reopened().tenant(TenantID("globex"))
        // The shared memory is sealed under acme's tenant data key and bound to tenant 'acme'.
        try await expectIntegrityFailure { _ = try await globex.memory(shared.id) }
        try await expectIntegrityFailure { _ = try await globex.cube(sharedCube.id) }
        // The personal memory's subject has no key in globex at all.
        let error = try await #require(throws: MemVaultError.self) { _ = try await globex.memory(personal.id) }
        #expect(error.code == .unknownKey || error.code == .integrity)
    }
}
