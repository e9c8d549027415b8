import Foundation
import MemVaultAudit
import MemVaultPolicy
import Testing

@testable import MemVault

/// Moving a cube between two installations at the library's level: what leaves is everything the source holds,
/// what arrives is equal to it, both sides decide and record the move, and a refused import writes nothing.
@Suite("Cube migration")
struct CubeMigrationTests {
    static let outbound = Transfer(.outbound, format: "memvault-bundle", platform: "memvault")
    static let inbound = Transfer(.inbound, format: "memvault-bundle", platform: "memvault")

    /// Alice's cube with text and binary memories, updates (three versions), an archived one, filters' fields,
    /// attributes and embeddings.
    static func aliceCube(in fixture: StoreFixture) async throws -> (cube: CubeID, memories: [MemoryID]) {
        let app = try await fixture.tenant()
        let alice = try await app.resolveSubject(externalID: "alice@example.com")
        try await fixture.tenant(as: .dataProtectionOfficer).setConsent(
            .given, subject: alice.id, purpose: "service-delivery")
        let cube = try await app.createCube(
            NewCube(
                owner: .subject(alice.id), name: "alice's memories", kind: "conversation",
                defaultCategory: "conversation", provenance: Provenance(origin: "chat-app", createdBy: "tests"),
                embeddingDimension: 3))
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        let added = try await app.addMemories(
            [
                NewMemory(
                    content: .text("prefers green tea"), type: .preference, category: "profile",
                    tags: ["drinks", "tea"], source: .conversation, sourceDetail: "session 12", confidence: 0.9,
                    occurredAt: day, validFrom: day, validUntil: day.addingTimeInterval(86_400 * 400),
                    attributes: ["lang": "en"], embedding: [0.1, 0.2, 0.3]),
                NewMemory(content: .text("lives in Lisbon"), type: .profile, category: "general"),
                NewMemory(content: .binary(bytes: [0, 1, 2, 255], mediaType: "application/octet-stream")),
            ], to: cube.id)
        fixture.clock.advance(by: 60)
        _ = try await app.updateMemory(added[0].id, MemoryChanges(content: .text("prefers oolong tea")))
        fixture.clock.advance(by: 60)
        _ = try await app.updateMemory(
            added[0].id, MemoryChanges(tags: ["drinks"], embedding: [0.3, 0.2, 0.1]))
        _ = try await app.archiveMemory(added[1].id)
        return (cube.id, added.map(\.id))
    }

    @Test("a cube exported from one installation arrives equal in another, and both logs record the move")
    func roundTrip() async throws {
        let source = try await StoreFixture.make()
        let destination = try await StoreFixture.make(tenants: ["globex"])
        let (cubeID, ids) = try await Self.aliceCube(in: source)
        let admin = try await source.tenant(as: .administrator)
        let export = try await admin.exportCube(cubeID, as: Self.outbound)
        #expect(export.withheld.isEmpty)
        #expect(export.cube.memories.map(\.id) == ids.map(\.rawValue).sorted())
        #expect(export.cube.versionCount == 5)
        #expect(export.cube.subjectExternalID == "alice@example.com")

        let arrived = try await destination.tenant("globex", as: .administrator).importCube(
            export.cube, as: Self.inbound, contentHash: export.contentHash)
        #expect(arrived.memories == 3 && arrived.versions == 5 && arrived.embeddings == 1 && arrived.createdSubject)

        // Everything the source holds equals what the destination now holds, version by version.
        let app = try await source.tenant()
        let there = try await destination.tenant("globex")
        for id in ids {
            let before = try await app.history(id)
            let after = try await there.history(id)
            #expect(after.count == before.count)
            for (old, new) in zip(before, after) {
                #expect(PortableVersion(new) == PortableVersion(old))
                #expect(new.supersedes == old.supersedes && new.cube == arrived.cube.id)
            }
        }
        let vectorsBefore = try await app.search(SearchQuery("", in: .cubes([cubeID]), vector: [0.3, 0.2, 0.1]))
        let vectorsAfter = try await there.search(
            SearchQuery("", in: .cubes([arrived.cube.id]), vector: [0.3, 0.2, 0.1]))
        #expect(vectorsAfter.hits.map(\.memory.id) == vectorsBefore.hits.map(\.memory.id))
        #expect(vectorsAfter.hits.map(\.vectorScore) == vectorsBefore.hits.map(\.vectorScore))
        let found = try await there.search(SearchQuery("oolong", in: .cubes([arrived.cube.id])))
        #expect(found.hits.map(\.memory.id) == [ids[0]])
        let cube = try await there.cube(arrived.cube.id)
        #expect(cube.name == "alice's memories" && cube.provenance.origin == "chat-app" && cube.embeddingDimension == 3)
        let alice = try await there.resolveSubject(externalID: "alice@example.com", create: false)
        #expect(alice.id == arrived.subject)

        let officer = try await destination.tenant("globex", as: .dataProtectionOfficer)
        try await officer.setConsent(.given, subject: alice.id, purpose: "service-delivery")
        // Exporting again from the destination gives the same document: nothing was lost or added on the way.
        let reexport = try await destination.tenant("globex", as: .administrator).exportCube(
            arrived.cube.id, as: Self.outbound)
        #expect(reexport.cube.memories == export.cube.memories)

        // Both logs verify, and show the move with the same content hash.
        let sourceLog = try await source.tenant(as: .auditor).auditLog()
        let destinationLog = try await destination.tenant("globex", as: .auditor).auditLog()
        let migrated = try #require(sourceLog.last { $0.action == .migrate })
        let imported = try #require(destinationLog.last { $0.action == .import })
        #expect(migrated.effect == .permit && imported.effect == .permit)
        #expect(migrated.detail?.hasSuffix("sha256:\(export.contentHash)") == true)
        #expect(imported.detail?.hasSuffix("sha256:\(export.contentHash)") == true)
        #expect(migrated.returned == 3 && imported.returned == 3)
        #expect(try await source.tenant(as: .auditor).verifyAudit().isValid)
        #expect(try await destination.tenant("globex", as: .auditor).verifyAudit().isValid)
        // The log never carries the external id or content.
        for entry in sourceLog + destinationLog {
            let text = "\(entry)"
            #expect(!text.contains("alice@example.com") && !text.contains("oolong"))
        }
    }

    @Test("the policy decides: formats, destinations, consent and roles, before anything is read")
    func decided() async throws {
        let source = try await StoreFixture.make()
        let (cubeID, _) = try await Self.aliceCube(in: source)
        let admin = try await source.tenant(as: .administrator)
        await #expect(throws: MemVaultError.self) {
            try await admin.exportCube(cubeID, as: Transfer(.outbound, format: "memvault-bundle", platform: "mem0"))
        }
        // The administrator may migrate a sealed bundle, never export plaintext.
        let plaintext = await #expect(throws: MemVaultError.self) {
            try await admin.exportCube(cubeID, as: Transfer(.outbound, format: "memos-dump", platform: "memos"))
        }
        #expect(plaintext?.code == .denied)
        // The officer answering a portability request may.
        let officer = try await source.tenant(as: .dataProtectionOfficer)
        let dump = try await officer.exportCube(
            cubeID, as: Transfer(.outbound, format: "memos-dump", platform: "memos"))
        #expect(dump.cube.memories.count == 3)
        // Consent for the migration's required purpose withdrawn: the sealed migration is refused.
        let alice = try await source.tenant().resolveSubject(externalID: "alice@example.com", create: false)
        try await officer.setConsent(.withdrawn, subject: alice.id, purpose: "service-delivery")
        let refused = await #expect(throws: MemVaultError.self) {
            try await admin.exportCube(cubeID, as: Self.outbound)
        }
        #expect(refused?.code == .denied)
        #expect(refused?.message.contains("memvault:migration-consent") == true)
        let denials = try await source.tenant(as: .auditor).auditLog().filter { $0.effect == .deny }
        #expect(denials.map(\.ruleIDs).contains(["memvault:transfer-destination"]))
        #expect(denials.map(\.ruleIDs).contains(["memvault:migration-consent"]))
    }

    @Test("a refused import writes nothing: unknown category, a second import, a bad version chain")
    func refusedImportsWriteNothing() async throws {
        let source = try await StoreFixture.make()
        let destination = try await StoreFixture.make(tenants: ["globex"])
        let (cubeID, _) = try await Self.aliceCube(in: source)
        let export = try await source.tenant(as: .administrator).exportCube(cubeID, as: Self.outbound)
        let admin = try await destination.tenant("globex", as: .administrator)

        var unknownCategory = export.cube
        unknownCategory.memories[1].versions[0].category = "astrology"
        let denied = await #expect(throws: MemVaultError.self) {
            try await admin.importCube(unknownCategory, as: Self.inbound, contentHash: "x")
        }
        #expect(denied?.code == .denied && denied?.message.contains("memvault:unknown-category") == true)

        // Memories are listed in id order, which within one batch is not the order they were added in.
        var gap = export.cube
        let updated = try #require(gap.memories.firstIndex { $0.versions.count == 3 })
        gap.memories[updated].versions[1].version = 3
        let invalid = await #expect(throws: MemVaultError.self) {
            try await admin.importCube(gap, as: Self.inbound, contentHash: "x")
        }
        #expect(
            invalid?.code == .invalidArgument && invalid?.message.contains("memory \(updated + 1) of the cube") == true)

        var wrongDimension = export.cube
        wrongDimension.memories[0].embedding = [1, 2]
        await #expect(throws: MemVaultError.self) {
            try await admin.importCube(wrongDimension, as: Self.inbound, contentHash: "x")
        }

        let app = try await destination.tenant("globex")
        #expect(try await app.cubes().items.isEmpty)
        await #expect(throws: MemVaultError.self) {
            try await app.resolveSubject(externalID: "alice@example.com", create: false)
        }

        _ = try await admin.importCube(export.cube, as: Self.inbound, contentHash: export.contentHash)
        let again = await #expect(throws: MemVaultError.self) {
            try await admin.importCube(export.cube, as: Self.inbound, contentHash: export.contentHash)
        }
        #expect(again?.code == .conflict)
        #expect(try await app.cubes().items.count == 1)
        #expect(try await app.usage().memories == 3)
        #expect(try await destination.tenant("globex", as: .auditor).verifyAudit().isValid)
    }
}
