import Foundation
import MemVaultAudit
import Testing

@testable import MemVault

/// A legal hold is decided inside the same unit of work as the change it blocks: a hold committed while deletes,
/// updates and archives of the held items are in flight stops every one that commits after it, and none that
/// committed before it is undone. The audit log's order is the commit order, so it tells which came first.
@Suite("Legal holds racing changes")
struct HoldRaceTests {
    enum Change: CaseIterable { case update, archive, delete }

    @Test("no held memory changes after its hold commits, whatever the interleaving")
    func holdsRaceChanges() async throws {
        var permittedSeen = 0
        var deniedSeen = 0
        for round in 0..<6 {
            let (permitted, denied) = try await raceOnce(target: round.isMultiple(of: 2) ? .cube : .subject)
            permittedSeen += permitted
            deniedSeen += denied
        }
        // The hold landed in the middle of the changes at least once: both sides of the race were exercised.
        #expect(permittedSeen > 0 && deniedSeen > 0, "permitted \(permittedSeen), denied \(deniedSeen)")
    }

    enum Target { case cube, subject }

    /// One round: 36 memories in one subject's cube; a change to each is started, and a hold on the cube (or the
    /// subject) is set while they run. Returns how many changes were permitted and denied.
    private func raceOnce(target: Target) async throws -> (permitted: Int, denied: Int) {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "held"))
        let memories = try await acme.addMemories(
            (0..<36).map { .text("memory \($0)", category: "conversation") }, to: cube.id)
        let holdTarget: HoldTarget = target == .cube ? .cube(cube.id) : .subject(alice.id)

        // Each change reports (memory, change, error if refused); the hold reports nothing.
        let outcomes = try await withThrowingTaskGroup(of: (MemoryID, Change, MemVaultError?)?.self) { group in
            for (index, memory) in memories.enumerated() {
                let change = Change.allCases[index % Change.allCases.count]
                group.addTask {
                    do {
                        switch change {
                        case .update: _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text("new")))
                        case .archive: _ = try await acme.archiveMemory(memory.id)
                        case .delete: try await acme.deleteMemory(memory.id)
                        }
                        return (memory.id, change, nil)
                    } catch let error as MemVaultError {
                        return (memory.id, change, error)
                    }
                }
                if index == memories.count / 3 {
                    group.addTask {
                        _ = try await admin.setHold(on: holdTarget, reason: "litigation")
                        return nil
                    }
                }
            }
            var outcomes: [MemoryID: (Change, MemVaultError?)] = [:]
            for try await case (let id, let change, let error)? in group {
                outcomes[id] = (change, error)
            }
            return outcomes
        }
        #expect(outcomes.count == memories.count)

        let log = try await fixture.tenant(as: .auditor).auditLog()
        let holdSet = try #require(log.first { $0.action == .hold && ($0.detail ?? "").hasPrefix("set ") })
        var permitted = 0
        var denied = 0
        for memory in memories {
            let (change, error) = try #require(outcomes[memory.id])
            let entry = try #require(
                log.first { $0.memories == [memory.id.rawValue] && [.update, .delete].contains($0.action) })
            if let error {
                // Denied by the hold, and decided after it.
                #expect(error.code == .denied && error.message.contains("memvault:legal-hold"), "\(error)")
                #expect(entry.effect == .deny && entry.sequence > holdSet.sequence)
                denied += 1
                // Unchanged: still version 1, active, readable.
                let stored = try await acme.memory(memory.id)
                #expect(stored.version == 1 && stored.status == .active && stored.content == memory.content)
            } else {
                #expect(entry.effect == .permit && entry.sequence < holdSet.sequence, "\(change) after the hold")
                permitted += 1
                switch change {
                case .update: #expect(try await acme.memory(memory.id).version == 2)
                case .archive: #expect(try await acme.memory(memory.id).status == .archived)
                case .delete:
                    await #expect(throws: MemVaultError.self) { _ = try await acme.memory(memory.id) }
                }
            }
        }
        try await fixture.store.close()
        return (permitted, denied)
    }
}
