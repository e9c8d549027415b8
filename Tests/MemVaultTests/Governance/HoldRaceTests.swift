import Foundation
import MemVaultAudit
import MemVaultPolicy
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

    @Test("no add for a purpose commits after the subject's withdrawal does, even within one group commit")
    func withdrawalRacesAdds() async throws {
        var permittedSeen = 0
        var deniedSeen = 0
        for _ in 0..<4 {
            let fixture = try await StoreFixture.make()
            let app = try await fixture.tenant(as: .personalisation)
            let alice = try await app.resolveSubject(externalID: "alice")
            let cube = try await fixture.tenant().createCube(NewCube(owner: .subject(alice.id), name: "alice"))
            try await app.setConsent(.given, subject: alice.id, purpose: "personalisation")
            let outcomes = try await withThrowingTaskGroup(of: (MemoryID?, MemVaultError?)?.self) { group in
                for index in 0..<48 {
                    group.addTask {
                        do {
                            let memory = try await app.addMemory(
                                .text("note \(index)", category: "preferences"), to: cube.id)
                            return (memory.id, nil)
                        } catch let error as MemVaultError {
                            return (nil, error)
                        }
                    }
                    if index == 16 {
                        group.addTask {
                            try await app.setConsent(.withdrawn, subject: alice.id, purpose: "personalisation")
                            return nil
                        }
                    }
                }
                var outcomes: [(MemoryID?, MemVaultError?)] = []
                for try await case let outcome? in group { outcomes.append(outcome) }
                return outcomes
            }
            let log = try await fixture.tenant(as: .auditor).auditLog()
            let withdrawal = try #require(
                log.first { $0.action == .consent && $0.detail == "personalisation: withdrawn" })
            let adds = log.filter { $0.action == .write && !$0.memories.isEmpty }
            for entry in adds {
                if entry.effect == .permit {
                    #expect(entry.sequence < withdrawal.sequence)
                } else {
                    #expect(entry.sequence > withdrawal.sequence && entry.ruleIDs == ["memvault:consent"])
                }
            }
            let stored = Set(outcomes.compactMap(\.0))
            #expect(Set(adds.filter { $0.effect == .permit }.flatMap(\.memories)) == Set(stored.map(\.rawValue)))
            #expect(outcomes.compactMap(\.1).allSatisfy { $0.code == .denied })
            permittedSeen += stored.count
            deniedSeen += outcomes.count - stored.count
            try await fixture.store.close()
        }
        #expect(permittedSeen > 0 && deniedSeen > 0, "permitted \(permittedSeen), denied \(deniedSeen)")
    }
}
