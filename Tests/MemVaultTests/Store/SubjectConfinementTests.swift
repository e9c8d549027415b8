import Foundation
import MemVault
import MemVaultAudit
import MemVaultSQLite
import Testing

@Suite("Subject confinement")
struct SubjectConfinementTests {
    @Test("a store confined to one subject answers every other subject's ids, and shared cubes, as unknown ids")
    func otherSubjectsDoNotExist() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme"])
        let acme = try await fixture.tenant("acme")
        let ana = try await acme.resolveSubject(externalID: "ana")
        let bob = try await acme.resolveSubject(externalID: "bob")
        let anaCube = try await acme.createCube(NewCube(owner: .subject(ana.id), name: "ana"))
        let bobCube = try await acme.createCube(NewCube(owner: .subject(bob.id), name: "bob"))
        let shared = try await acme.createCube(NewCube(owner: .tenant, name: "product knowledge"))
        let anas = try await acme.addMemory(.text("ana's note"), to: anaCube.id)
        let bobs = try await acme.addMemory(.text("bob's note"), to: bobCube.id)
        let sharedMemory = try await acme.addMemory(.text("shared note"), to: shared.id)
        let confined = acme.confined(to: ana.id)
        let auditor = try await fixture.tenant("acme", as: .auditor)
        let before = try await auditor.auditLog().count

        for (memory, cube, subject) in [(bobs, bobCube, Optional(bob.id)), (sharedMemory, shared, nil)] {
            var attempts: [(String, () async throws -> Void)] = [
                ("get cube", { _ = try await confined.cube(cube.id) }),
                ("list memories of cube", { _ = try await confined.memories(in: .cube(cube.id)) }),
                ("add to cube", { _ = try await confined.addMemory(.text("intrusion"), to: cube.id) }),
                ("delete cube", { try await confined.deleteCube(cube.id) }),
                ("get memory", { _ = try await confined.memory(memory.id) }),
                ("get version", { _ = try await confined.memory(memory.id, version: 1) }),
                ("update", { _ = try await confined.updateMemory(memory.id, MemoryChanges(content: .text("x"))) }),
                ("archive", { _ = try await confined.archiveMemory(memory.id) }),
                ("delete memory", { try await confined.deleteMemory(memory.id) }),
                ("history", { _ = try await confined.history(memory.id) }),
                ("search the cube", { _ = try await confined.search(SearchQuery("note", in: .cubes([cube.id]))) }),
            ]
            if let subject {
                attempts += [
                    ("subject", { _ = try await confined.subject(subject) }),
                    ("memories of subject", { _ = try await confined.memories(in: .subject(subject)) }),
                    ("cubes of subject", { _ = try await confined.cubes(owner: .subject(subject)) }),
                    (
                        "search the subject",
                        { _ = try await confined.search(SearchQuery("note", in: .subject(subject))) }
                    ),
                    ("consent", { _ = try await confined.consentHistory(of: subject) }),
                    ("resolve", { _ = try await confined.resolveSubject(externalID: "bob", create: false) }),
                ]
            }
            for (name, attempt) in attempts {
                let error = try await #require(throws: MemVaultError.self, "\(name)") { try await attempt() }
                #expect(error.code == .notFound, "\(name): \(error)")
                // Asked by a memory or cube id, the answer never names the subject it belongs to.
                let askedBySubject = [
                    "subject", "memories of subject", "cubes of subject", "search the subject",
                    "consent", "resolve",
                ].contains(name)
                #expect(askedBySubject || !error.message.contains(bob.id.rawValue), "\(name): \(error)")
            }
        }
        // Nothing of them was read, changed or recorded: the only new entry is the auditor's own first read.
        #expect(try await auditor.auditLog().count == before + 1)
        #expect(try await acme.memory(bobs.id) == bobs)
        #expect(try await acme.memory(sharedMemory.id) == sharedMemory)
        #expect(
            try await #require(throws: MemVaultError.self) {
                try await confined.resolveSubject(externalID: "carol", create: true)
            }.code == .notFound, "a confined store creates no subjects")

        // The confined subject's own memory works as usual, and its listings hold only its cubes.
        #expect(try await confined.memory(anas.id) == anas)
        #expect(try await confined.cubes().items.map(\.id) == [anaCube.id])
        #expect(try await confined.cubes(owner: .tenant).items.isEmpty)
        #expect(try await confined.resolveSubject(externalID: "ana", create: false).id == ana.id)
        let found = try await confined.search(SearchQuery("note", in: .subject(ana.id)))
        #expect(found.hits.map(\.memory.id) == [anas.id])
    }
}
