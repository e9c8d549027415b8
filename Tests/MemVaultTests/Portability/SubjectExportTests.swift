import Foundation
import MemVaultPolicy
import Testing

@testable import MemVault

/// The subject's access and portability export (GDPR Art. 15, 20): complete against everything the store holds for
/// the subject, and nothing of anyone else.
@Suite("Subject export")
struct SubjectExportTests {
    @Test("everything held about Alice, checked against the store, and nothing about Bob")
    func completeAndConfined() async throws {
        let fixture = try await StoreFixture.make()
        let (aliceCube, _) = try await CubeMigrationTests.aliceCube(in: fixture)
        let app = try await fixture.tenant()
        let officer = try await fixture.tenant(as: .dataProtectionOfficer)
        let alice = try await app.resolveSubject(externalID: "alice@example.com", create: false)
        let second = try await app.createCube(NewCube(owner: .subject(alice.id), name: "work notes"))
        _ = try await app.addMemory(.text("standup at nine", category: "conversation"), to: second.id)
        try await officer.setConsent(.given, subject: alice.id, purpose: "personalisation")
        let restriction = try await officer.restrictProcessing(
            of: alice.id, categories: ["health"], ground: .accuracyContested)
        let hold = try await officer.setHold(on: .cube(aliceCube), reason: "case 12: internal strategy")
        let request = try await officer.requestErasure(
            of: alice.id, categories: ["conversation"], requester: .dataSubject, ground: .objection)

        let bob = try await app.resolveSubject(externalID: "bob@example.com")
        let bobCube = try await app.createCube(NewCube(owner: .subject(bob.id), name: "bob's things"))
        let bobMemory = try await app.addMemory(.text("bob collects stamps", category: "general"), to: bobCube.id)
        try await officer.setConsent(.given, subject: bob.id, purpose: "personalisation")
        _ = try await officer.setHold(on: .subject(bob.id), reason: "bob's case")

        let export = try await officer.exportSubject(alice.id)
        #expect(export.externalID == "alice@example.com" && export.withheld.isEmpty)

        // Memories: every cube, memory and version the store holds for Alice, field by field.
        let held = try await officer.memories(in: .subject(alice.id), statuses: Set(MemoryStatus.allCases)).items
        let exported = export.cubes.flatMap(\.memories)
        #expect(Set(exported.map(\.id)) == Set(held.map(\.id.rawValue)) && exported.count == 4)
        for memory in held {
            let versions = try await officer.history(memory.id).map(PortableVersion.init)
            #expect(exported.first { $0.id == memory.id.rawValue }?.versions == versions)
        }
        #expect(Set(export.cubes.map(\.name)) == ["alice's memories", "work notes"])
        #expect(export.cubes.flatMap(\.memories).contains { $0.embedding == [0.3, 0.2, 0.1] })
        // Governance records about her.
        #expect(export.consent == (try await officer.consentHistory(of: alice.id)) && export.consent.count == 2)
        #expect(export.restrictions.map(\.id) == [restriction.id])
        #expect(export.holds.map(\.id) == [hold.id])
        #expect(export.erasureRequests.map(\.id) == [request.id])
        #expect(export.processing.activities.map(\.purpose).contains("personalisation"))
        // Signed over its own entries.
        let verification = try await fixture.tenant(as: .auditor).verifyAudit(checkpoints: [export.auditCheckpoint])
        #expect(verification.isValid)

        // Nothing of Bob, nor the hold's reason.
        let encoder = PortableJSON.encoder()
        let text = String(decoding: try encoder.encode(export), as: UTF8.self)
        for foreign in [
            "bob@example.com", "stamps", "bob's things", bob.id.rawValue, bobCube.id.rawValue, bobMemory.id.rawValue,
            "bob's case", "internal strategy",
        ] {
            #expect(!text.contains(foreign), "\(foreign)")
        }
        #expect(text.contains("standup at nine") && text.contains("oolong"))
    }

    @Test("only a role the policy lets export may; the application may not")
    func decided() async throws {
        let fixture = try await StoreFixture.make()
        _ = try await CubeMigrationTests.aliceCube(in: fixture)
        let alice = try await fixture.tenant().resolveSubject(externalID: "alice@example.com", create: false)
        let refused = await #expect(throws: MemVaultError.self) { try await fixture.tenant().exportSubject(alice.id) }
        #expect(refused?.code == .denied)
    }
}
