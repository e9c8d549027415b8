import Foundation
import MemVaultPolicy
import Testing

@testable import MemVault

@Suite("Storage conformance: erasure")
struct ErasureConformance {
    func request(_ id: String, subject: SubjectID?, state: ErasureRequest.State) -> ErasureRequestRecord {
        ErasureRequestRecord(
            id: id, subject: subject, state: state, document: Records.bytes(), receipt: nil, seal: Records.bytes(32))
    }

    @Test(
        "a subject's memories, versions, cubes, consent and identity can all be deleted; nothing of it is then read",
        arguments: BackendUnderTest.all)
    func deleteEverything(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let (alice, bob) = (try Records.subject(), try Records.subject())
        let (aliceCube, bobCube) = (try Records.cube(owner: alice.id), try Records.cube(owner: bob.id))
        let aliceMemories = try (0..<30).map { _ in try Records.memory(in: aliceCube) }
        let bobMemory = try Records.memory(in: bobCube)
        try await storage.unitOfWork { transaction in
            try transaction.insertSubject(alice)
            try transaction.insertSubject(bob)
            try transaction.insertCube(aliceCube)
            try transaction.insertCube(bobCube)
            try transaction.insertMemories(aliceMemories + [bobMemory])
            _ = try transaction.replaceCurrent(
                with: Records.nextVersion(of: aliceMemories[0]), superseded: aliceMemories[0])
            for subject in [alice.id, bob.id] {
                let (change, current) = try Records.consentChange(
                    subject, purpose: "personalisation", state: .given, previous: nil)
                try transaction.recordConsent(change, current: current)
            }
        }
        let deleted = try await storage.unitOfWork { transaction in
            // Ids that do not exist (or no longer) are not counted.
            try transaction.deleteMemories(aliceMemories.map(\.id) + [try MemoryID.make()])
        }
        #expect(deleted == 30)
        let records = try await storage.unitOfWork { transaction -> Int? in
            #expect(try transaction.deleteCube(aliceCube.id))
            return try transaction.deleteSubject(alice.id)
        }
        #expect(records == 2, "the consent state and its one change")
        let (aliceGone, historyGone, cubeGone, bobKept) = try await storage.read { reader in
            (
                try reader.subject(id: alice.id) == nil && reader.subject(pseudonym: alice.pseudonym) == nil,
                try reader.history(aliceMemories[0].id).isEmpty, try reader.cube(aliceCube.id) == nil,
                try reader.subject(id: bob.id) != nil && reader.memory(bobMemory.id) != nil
            )
        }
        #expect(aliceGone && historyGone && cubeGone && bobKept)
        let consent = try await storage.unitOfWork { try $0.consent(subject: alice.id, purpose: "personalisation") }
        #expect(consent.current == nil && consent.latestChange == nil)
        #expect(try await storage.unitOfWork { try $0.deleteSubject(alice.id) } == nil)
        try await harness.close()
    }

    @Test(
        "erasure requests: one open request per subject, updates in place, listed in id order",
        arguments: BackendUnderTest.all)
    func requests(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let subject = try SubjectID.random()
        let first = request(try SortableIdentifier.make(prefix: "era_"), subject: subject, state: .received)
        let second = request(try SortableIdentifier.make(prefix: "era_"), subject: subject, state: .received)
        try await storage.unitOfWork { try $0.insertErasureRequest(first) }
        let conflict = await #expect(throws: MemVaultError.self) {
            try await storage.unitOfWork { try $0.insertErasureRequest(second) }
        }
        #expect(conflict?.code == .conflict, "a second open request for the same subject")
        #expect(try await storage.read { try $0.openErasureRequest(subject: subject) } == first)

        // Once the first completes (and forgets its subject), another may be filed.
        let completed = request(first.id, subject: nil, state: .completed)
        #expect(try await storage.unitOfWork { try $0.updateErasureRequest(completed) })
        try await storage.unitOfWork { try $0.insertErasureRequest(second) }
        #expect(try await storage.read { try $0.erasureRequest(first.id) } == completed)
        // Ids made in the same millisecond order by their random part.
        let inOrder = [completed, second].sorted { $0.id < $1.id }
        #expect(try await storage.read { try $0.erasureRequests(after: nil, limit: 10) } == inOrder)
        #expect(try await storage.read { try $0.erasureRequests(after: inOrder[0].id, limit: 10) } == [inOrder[1]])
        let missing = request(try SortableIdentifier.make(prefix: "era_"), subject: nil, state: .completed)
        #expect(try await storage.unitOfWork { try $0.updateErasureRequest(missing) } == false)
        try await harness.close()
    }

    @Test("restrictions are stored, lifted and removed, and count as governance state", arguments: BackendUnderTest.all)
    func restrictions(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        #expect(try await storage.read { try $0.holdRegistry().anyHolds } == false)
        let restriction = RestrictionRecord(
            id: try SortableIdentifier.make(prefix: "rst_"), subject: try SubjectID.random(),
            categories: ["invoices", "disputes"], purposes: ["bookkeeping"], ground: "erasure-exception",
            request: "era_x", setBy: "conformance", setAt: Records.now, liftedBy: nil, liftedAt: nil,
            seal: Records.bytes(32))
        try await storage.unitOfWork { try $0.insertRestriction(restriction) }
        #expect(try await storage.read { try $0.restrictions(includeLifted: false) } == [restriction])
        #expect(try await storage.read { try $0.holdRegistry().anyHolds }, "a restriction needs the registry too")
        let lifted = RestrictionRecord(
            id: restriction.id, subject: restriction.subject, categories: restriction.categories,
            purposes: restriction.purposes, ground: restriction.ground, request: restriction.request,
            setBy: restriction.setBy, setAt: restriction.setAt, liftedBy: "officer", liftedAt: Records.now,
            seal: Records.bytes(32))
        #expect(try await storage.unitOfWork { try $0.updateRestriction(lifted) })
        #expect(try await storage.read { try $0.restrictions(includeLifted: false) }.isEmpty)
        #expect(try await storage.read { try $0.restrictions(includeLifted: true) } == [lifted])
        try await storage.unitOfWork { try $0.deleteRestriction(restriction.id) }
        #expect(try await storage.read { try $0.restrictions(includeLifted: true) }.isEmpty)
        try await harness.close()
    }
}
