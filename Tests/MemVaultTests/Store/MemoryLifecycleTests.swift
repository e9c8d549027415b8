import Foundation
import MemVault
import MemVaultSQLite
import Testing

@Suite("Memory store: subjects, cubes and memories")
struct MemoryLifecycleTests {
    @Test("the same external id resolves to the same subject; its id and pseudonym reveal nothing of it")
    func subjects() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice@example.com")
        #expect(try await acme.resolveSubject(externalID: "alice@example.com") == alice)
        #expect(try await acme.resolveSubject(externalID: "alice@example.com", create: false) == alice)
        let bob = try await acme.resolveSubject(externalID: "bob@example.com")
        #expect(bob.id != alice.id && bob.pseudonym != alice.pseudonym)
        #expect(!alice.id.rawValue.contains("alice") && !alice.pseudonym.contains("alice"))
        #expect(try await acme.externalID(of: alice.id) == "alice@example.com")
        let missing = try await #require(throws: MemVaultError.self) {
            try await acme.resolveSubject(externalID: "carol@example.com", create: false)
        }
        #expect(missing.code == .notFound && !missing.message.contains("carol"))
    }

    @Test("concurrent first requests for one external id agree on a single subject")
    func concurrentSubjectCreation() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let ids = try await withThrowingTaskGroup(of: SubjectID.self) { group in
            for _ in 0..<16 { group.addTask { try await acme.resolveSubject(externalID: "same-person").id } }
            return try await group.reduce(into: Set<SubjectID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
    }

    @Test("personal and shared cubes keep their metadata; listing filters by owner and pages")
    func cubes() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let provenance = Provenance(origin: "chat-app", createdBy: "ingest-bot", importedFrom: "memos")
        let personal = try await acme.createCube(
            NewCube(
                owner: .subject(alice.id), name: "Alice's notes", kind: "conversation",
                defaultCategory: "profile", provenance: provenance))
        let shared = try await acme.createCube(NewCube(owner: .tenant, name: "Product FAQ", kind: "knowledge"))
        #expect(try await acme.cube(personal.id) == personal)
        #expect(personal.subject == alice.id && personal.provenance == provenance && personal.schemaVersion == 1)
        #expect(shared.subject == nil && shared.owner == .tenant)
        #expect(try await acme.cubes(owner: .subject(alice.id)).items.map(\.id) == [personal.id])
        #expect(try await acme.cubes(owner: .tenant).items.map(\.id) == [shared.id])
        let all = try await acme.cubes(limit: 1)
        #expect(all.items.count == 1 && all.nextCursor != nil)
        let rest = try await acme.cubes(after: all.nextCursor, limit: 1)
        #expect(rest.items.count == 1 && rest.nextCursor == nil)
        #expect(Set((all.items + rest.items).map(\.id)) == [personal.id, shared.id])
    }

    @Test("add, get, list with paging, update with history, archive and delete")
    func memoryLifecycle() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(
            NewCube(owner: .subject(alice.id), name: "notes", defaultCategory: "profile"))
        let occurred = Date(timeIntervalSince1970: 1_700_000_000.123)
        let first = try await acme.addMemory(
            NewMemory(
                content: .text("likes green tea"), type: .preference, tags: ["drinks"], source: .conversation,
                sourceDetail: "chat 42", confidence: 0.9, occurredAt: occurred, attributes: ["lang": "en"]),
            to: cube.id)
        #expect(first.version == 1 && first.supersedes == nil && first.category == "profile")
        #expect(first.subject == alice.id && first.occurredAt == occurred)
        #expect(try await acme.memory(first.id) == first)

        let batch = try await acme.addMemories((0..<24).map { .text("fact \($0)") }, to: cube.id)
        var seen: [MemoryID] = []
        var cursor: String?
        repeat {
            let page = try await acme.memories(in: .cube(cube.id), after: cursor, limit: 10)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ([first] + batch).map(\.id).sorted())
        #expect(try await acme.memories(in: .subject(alice.id), limit: 1000).items.count == 25)

        let second = try await acme.updateMemory(
            first.id, MemoryChanges(content: .text("prefers oolong"), tags: ["tea"]))
        #expect(second.version == 2 && second.supersedes == 1 && second.createdAt == first.createdAt)
        #expect(second.sourceDetail == "chat 42" && second.confidence == 0.9 && second.attributes == ["lang": "en"])
        #expect(try await acme.memory(first.id).content == .text("prefers oolong"))
        #expect(try await acme.memory(first.id, version: 1) == first)
        let history = try await acme.history(first.id)
        #expect(
            history.map(\.version) == [1, 2] && history.map(\.content.text) == ["likes green tea", "prefers oolong"])

        let archived = try await acme.archiveMemory(first.id)
        #expect(archived.status == .archived && archived.version == 2)
        #expect(try await acme.memories(in: .cube(cube.id), limit: 1000).items.count == 24)
        #expect(try await acme.memories(in: .cube(cube.id), statuses: [.archived]).items.map(\.id) == [first.id])

        try await acme.deleteMemory(first.id)
        for operation in [
            { _ = try await acme.memory(first.id) }, { _ = try await acme.history(first.id) },
            { _ = try await acme.memory(first.id, version: 1) }, { try await acme.deleteMemory(first.id) },
        ] as [() async throws -> Void] {
            let error = try await #require(throws: MemVaultError.self) { try await operation() }
            #expect(error.code == .notFound)
        }
    }

    @Test("binary payloads (activation, parametric memory) keep bytes and media type")
    func binaryContent() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "adapters", kind: "parametric"))
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let memory = try await acme.addMemory(
            NewMemory(content: .binary(bytes: bytes, mediaType: "application/x-lora+safetensors"), type: .parametric),
            to: cube.id)
        #expect(
            try await acme.memory(memory.id).content
                == .binary(bytes: bytes, mediaType: "application/x-lora+safetensors"))
    }

    @Test("deleting a cube deletes its memories and their history")
    func deleteCube() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "temp"))
        let memory = try await acme.addMemory(.text("v1"), to: cube.id)
        _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text("v2")))
        try await acme.deleteCube(cube.id)
        await #expect(throws: MemVaultError.self) { try await acme.cube(cube.id) }
        await #expect(throws: MemVaultError.self) { try await acme.history(memory.id) }
        #expect(try fixture.rowCount("memory_history") == 0)
        #expect(try fixture.rowCount("memories") == 0)
    }

    @Test("everything reads back after the store is closed and reopened")
    func persistence() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "notes"))
        let memory = try await acme.addMemory(.text("persisted"), to: cube.id)
        try await fixture.store.close()
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        #expect(try await reopened.memory(memory.id) == memory)
        #expect(try await reopened.cube(cube.id) == cube)
        #expect(try await reopened.resolveSubject(externalID: "alice", create: false) == alice)
    }

    @Test("many concurrent single adds all land (group commit)")
    func concurrentAdds() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "busy"))
        let ids = try await withThrowingTaskGroup(of: MemoryID.self) { group in
            for index in 0..<300 { group.addTask { try await acme.addMemory(.text("item \(index)"), to: cube.id).id } }
            return try await group.reduce(into: Set<MemoryID>()) { $0.insert($1) }
        }
        #expect(ids.count == 300)
        let listed = try await acme.memories(in: .cube(cube.id), limit: 1000).items
        #expect(Set(listed.map(\.id)) == ids)
        #expect(Set(listed.compactMap(\.content.text)) == Set((0..<300).map { "item \($0)" }))
    }
}
