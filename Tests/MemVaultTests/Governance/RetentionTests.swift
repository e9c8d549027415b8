import Foundation
import GRDB
import MemVaultAudit
import Testing

@testable import MemVault

@Suite("Retention sweeps")
struct RetentionTests {
    @Test("memories past their category's retention are purged in recorded batches; held and recent ones stay")
    func sweep() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await acme.resolveSubject(externalID: "alice").id
        let bob = try await acme.resolveSubject(externalID: "bob").id
        func cube(_ owner: SubjectID) async throws -> CubeID {
            try await acme.createCube(
                NewCube(owner: .subject(owner), name: "c", defaultCategory: "conversation", embeddingDimension: 4)
            ).id
        }
        let (aliceCube, bobCube) = (try await cube(alice), try await cube(bob))
        func add(_ count: Int, _ category: String, to cube: CubeID) async throws -> [MemoryID] {
            try await acme.addMemories(
                (0..<count).map {
                    NewMemory(
                        content: .text("\(category) note \($0) about tea"), category: category,
                        embedding: [1, Float($0), 0, 1])
                }, to: cube
            ).map(\.id)
        }
        // Conversation memories keep 90 days, profile memories two years (Policies/default.yaml).
        let old = try await add(25, "conversation", to: aliceCube)
        let heldOld = try await add(3, "conversation", to: bobCube)
        let profile = try await add(4, "profile", to: aliceCube)
        fixture.clock.advance(by: 91 * 86_400)
        let recent = try await add(5, "conversation", to: aliceCube)
        _ = try await admin.setHold(on: .subject(bob), reason: "case 12")

        // Memories past retention can no longer be read; what is stored is checked in the file.
        func stored() throws -> Set<String> {
            var ids: Set<String> = []
            try fixture.tamper { db in ids = Set(try String.fetchAll(db, sql: "SELECT memory_id FROM memories")) }
            return ids
        }
        let dryRun = try await admin.sweepRetention(dryRun: true, batch: 10)
        #expect(dryRun.purged == 25 && dryRun.held == 3)
        #expect(try stored().count == 37, "a dry run changes nothing")

        var reports: [RetentionSweep.Category] = []
        let sweep = try await admin.sweepRetention(batch: 10) { reports.append($0) }
        let conversation = try #require(sweep.categories.first { $0.category == "conversation" })
        #expect(conversation.purged == 25 && conversation.held == 3 && conversation.keptFor == "P90D")
        #expect(reports.filter { $0.category == "conversation" }.map(\.purged) == [10, 20, 25])
        #expect(try stored() == Set((heldOld + profile + recent).map(\.rawValue)))
        // Gone from the index and the embeddings too.
        let found = try await acme.search(SearchQuery("tea", in: .cubes([aliceCube]), limit: 50))
        #expect(Set(found.hits.map(\.memory.id)) == Set(profile + recent))
        #expect(try fixture.rowCount("memory_vectors") == heldOld.count + profile.count + recent.count)

        // Each batch is one entry listing the ids it purged; nothing of the content.
        let entries = try await fixture.tenant(as: .auditor).auditLog().filter {
            $0.detail == "retention purge: conversation"
        }
        #expect(entries.count == 3)
        #expect(Set(entries.flatMap(\.memories)) == Set(old.map(\.rawValue)))
        #expect(entries.allSatisfy { $0.action == .delete && $0.effect == .permit && $0.purpose == "" })

        // Two years on, the profile memories go too.
        fixture.clock.advance(by: 2 * 366 * 86_400)
        #expect(try await admin.sweepRetention().categories.first { $0.category == "profile" }?.purged == 4)
    }

    @Test("a creation time edited in the files to make a memory look expired is never obeyed")
    func editedCreationTime() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c", defaultCategory: "conversation"))
        let memory = try await acme.addMemory(.text("keep me"), to: cube.id)
        try fixture.tamper { db in
            try db.execute(
                sql: "UPDATE memories SET created_at = created_at - ? WHERE memory_id = ?",
                arguments: [400 * 86_400_000, memory.id.rawValue])
        }
        let admin = try await fixture.tenant(as: .administrator)
        let refused = await #expect(throws: MemVaultError.self) { try await admin.sweepRetention() }
        #expect(refused?.code == .integrity)
        #expect(try fixture.rowCount("memories") == 1)
    }

    @Test("the application may not sweep; the refusal is recorded")
    func roles() async throws {
        let fixture = try await StoreFixture.make()
        let denied = await #expect(throws: MemVaultError.self) { try await fixture.tenant().sweepRetention() }
        #expect(denied?.code == .denied)
        let last = try await fixture.tenant(as: .auditor).auditLog().last { $0.action == .delete }
        #expect(last?.effect == .deny)
    }
}
