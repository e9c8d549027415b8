import Foundation
import MemVault
import MemVaultSQLite
import Testing

@Suite("Tenant isolation")
struct TenantIsolationTests {
    @Test("tenant A cannot list, get, update, archive or delete tenant B's cubes or memories by any id")
    func idsFromAnotherTenantDoNotExist() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let acme = try await fixture.tenant("acme")
        let globex = try await fixture.tenant("globex")
        let subject = try await globex.resolveSubject(externalID: "globex-user")
        let cube = try await globex.createCube(NewCube(owner: .subject(subject.id), name: "globex cube"))
        let memory = try await globex.addMemory(.text("globex secret"), to: cube.id)
        let neverExisted = try MemoryID.make()
        let neverExistedCube = try CubeID.make()

        let attempts: [(String, () async throws -> Void)] = [
            ("get cube", { _ = try await acme.cube(cube.id) }),
            ("list memories of cube", { _ = try await acme.memories(in: .cube(cube.id)) }),
            ("list memories of subject", { _ = try await acme.memories(in: .subject(subject.id)) }),
            ("list cubes of subject", { _ = try await acme.cubes(owner: .subject(subject.id)) }),
            ("add to cube", { _ = try await acme.addMemory(.text("intrusion"), to: cube.id) }),
            ("delete cube", { try await acme.deleteCube(cube.id) }),
            ("get memory", { _ = try await acme.memory(memory.id) }),
            ("get version", { _ = try await acme.memory(memory.id, version: 1) }),
            ("update", { _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text("overwritten"))) }),
            ("archive", { _ = try await acme.archiveMemory(memory.id) }),
            ("delete memory", { try await acme.deleteMemory(memory.id) }),
            ("history", { _ = try await acme.history(memory.id) }),
            ("subject", { _ = try await acme.subject(subject.id) }),
            ("external id", { _ = try await acme.externalID(of: subject.id) }),
            (
                "cube create for subject",
                { _ = try await acme.createCube(NewCube(owner: .subject(subject.id), name: "x")) }
            ),
        ]
        for (name, attempt) in attempts {
            let error = try await #require(throws: MemVaultError.self, "\(name)") { try await attempt() }
            #expect(error.code == .notFound, "\(name): \(error)")
            #expect(!error.message.contains("globex"), "\(name) must not reveal the other tenant: \(error)")
        }
        // The same answers as for ids that never existed anywhere.
        let foreign = try await #require(throws: MemVaultError.self) { try await acme.memory(memory.id) }
        let missing = try await #require(throws: MemVaultError.self) { try await acme.memory(neverExisted) }
        #expect(
            foreign.message.replacingOccurrences(of: memory.id.rawValue, with: "ID")
                == missing.message.replacingOccurrences(of: neverExisted.rawValue, with: "ID"))
        let foreignCube = try await #require(throws: MemVaultError.self) { try await acme.cube(cube.id) }
        let missingCube = try await #require(throws: MemVaultError.self) { try await acme.cube(neverExistedCube) }
        #expect(
            foreignCube.message.replacingOccurrences(of: cube.id.rawValue, with: "ID")
                == missingCube.message.replacingOccurrences(of: neverExistedCube.rawValue, with: "ID"))

        // Tenant B's data is untouched, and tenant A's listings are empty.
        #expect(try await globex.memory(memory.id) == memory)
        #expect(try await acme.cubes().items.isEmpty)
        // The same external id names different subjects in different tenants.
        let acmeSubject = try await acme.resolveSubject(externalID: "globex-user")
        #expect(acmeSubject.id != subject.id && acmeSubject.pseudonym != subject.pseudonym)
    }
}
