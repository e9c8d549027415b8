import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import Testing

@Suite("Storage conformance: ordering and paging")
struct OrderingAndPagingConformance {
    /// Reads every page of `limit` after the cursor until an empty or short page.
    private func allPages<ID: Comparable, Record>(
        limit: Int, id: (Record) -> ID, _ page: (ID?) async throws -> [Record]
    ) async throws -> [Record] {
        var all: [Record] = []
        while true {
            let next = try await page(all.last.map(id))
            #expect(next.count <= limit)
            all += next
            if next.count < limit { return all }
        }
    }

    @Test("cubes list in id order, page by page, filtered by owner", arguments: BackendUnderTest.all)
    func cubes(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let alice = try Records.subject()
        let cubes = try [nil, nil, alice.id, nil, alice.id].flatMap { owner in
            try (0..<5).map { _ in try Records.cube(owner: owner) }
        }
        try await storage.unitOfWork { transaction in
            try transaction.insertSubject(alice)
            for cube in cubes.shuffled() { try transaction.insertCube(cube) }
        }
        for (filter, expected) in [
            (CubeFilter.all, cubes), (.shared, cubes.filter { $0.subject == nil }),
            (.subject(alice.id), cubes.filter { $0.subject == alice.id }),
        ] {
            let listed = try await allPages(limit: 4, id: \CubeRecord.id) { after in
                try await storage.read { try $0.cubes(filter, after: after, limit: 4) }
            }
            #expect(listed == expected.sorted { $0.id < $1.id }, "\(filter)")
        }
        try await harness.close()
    }

    @Test("memories list in id order per cube and per subject, by status", arguments: BackendUnderTest.all)
    func memories(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let alice = try Records.subject()
        let first = try Records.cube(owner: alice.id)
        let second = try Records.cube(owner: alice.id)
        let memories = try (0..<40).map { index in
            try Records.memory(
                in: index.isMultiple(of: 3) ? second : first, status: index % 4 == 0 ? .archived : .active)
        }
        try await storage.unitOfWork { transaction in
            try transaction.insertSubject(alice)
            try transaction.insertCube(first)
            try transaction.insertCube(second)
            try transaction.insertMemories(memories.shuffled())
        }
        let scopes: [(MemoryScope, [MemoryRecord])] = [
            (.cube(first.id), memories.filter { $0.cube == first.id }), (.subject(alice.id), memories),
        ]
        for (scope, inScope) in scopes {
            for statuses: Set<MemoryStatus>? in [nil, [.active], [.archived], [.active, .archived]] {
                let listed = try await allPages(limit: 7, id: \MemoryRecord.id) { after in
                    try await storage.read { try $0.memories(scope, statuses: statuses, after: after, limit: 7) }
                }
                let expected = inScope.filter { statuses?.contains($0.fields.status) ?? true }.sorted { $0.id < $1.id }
                #expect(listed == expected, "\(scope) \(String(describing: statuses))")
            }
        }
        try await harness.close()
    }

    @Test(
        "history is oldest first, the current version last; replacing checks the version",
        arguments: BackendUnderTest.all)
    func history(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        let first = try Records.memory(in: cube)
        let second = Records.nextVersion(of: first)
        let third = Records.nextVersion(of: second)
        let replaced = try await storage.unitOfWork { transaction in
            try transaction.insertCube(cube)
            try transaction.insertMemories([first])
            return [
                try transaction.replaceCurrent(with: second, superseded: first),
                // Stale: the current version is 2 now, not 1.
                try transaction.replaceCurrent(with: Records.nextVersion(of: first), superseded: first),
                try transaction.replaceCurrent(with: third, superseded: second),
            ]
        }
        #expect(replaced == [true, false, true])
        let history = try await storage.read { try $0.history(first.id) }
        #expect(history.map(\.record) == [first, second, third])
        #expect(history.map(\.isCurrent) == [false, false, true])
        let current = try await storage.read { try $0.memory(first.id) }
        #expect(current?.current == third && current?.latestSuperseded == 2)
        #expect(
            try await storage.read { try $0.memory(first.id, version: 2) }
                == MemoryVersion(record: second, isCurrent: false))
        try await harness.close()
    }

    @Test(
        "consent history oldest first; the lookup names the newest change per purpose", arguments: BackendUnderTest.all)
    func consent(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let alice = try Records.subject()
        let (given, givenState) = try Records.consentChange(
            alice.id, purpose: "personalisation", state: .given, previous: nil)
        let (safety, safetyState) = try Records.consentChange(alice.id, purpose: "safety", state: .given, previous: nil)
        let (withdrawn, withdrawnState) = try Records.consentChange(
            alice.id, purpose: "personalisation", state: .withdrawn, previous: given.id)
        try await storage.unitOfWork { transaction in
            try transaction.insertSubject(alice)
            try transaction.recordConsent(given, current: givenState)
            try transaction.recordConsent(safety, current: safetyState)
            try transaction.recordConsent(withdrawn, current: withdrawnState)
        }
        let (history, lookup, missing) = try await storage.unitOfWork { transaction in
            (
                try transaction.consentHistory(subject: alice.id),
                try transaction.consent(subject: alice.id, purpose: "personalisation"),
                try transaction.consent(subject: alice.id, purpose: "data-subject-rights")
            )
        }
        #expect(history == [given, safety, withdrawn])
        #expect(lookup == ConsentLookup(current: withdrawnState, latestChange: withdrawn.id))
        #expect(missing == ConsentLookup(current: nil, latestChange: nil))
        try await harness.close()
    }

    @Test("holds list in id order; audit entries page in sequence order", arguments: BackendUnderTest.all)
    func holdsAndAuditEntries(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        let holds = try (0..<6).map { _ in try Records.hold(on: .cube(cube.id)) }
        let cleared = LegalHoldRecord(
            id: holds[2].id, target: holds[2].target, reason: holds[2].reason, keyVersion: 1, setBy: holds[2].setBy,
            setAt: holds[2].setAt, clearedBy: "conformance", clearedAt: Records.now, seal: Records.bytes(32))
        try await storage.unitOfWork { transaction in
            try transaction.insertCube(cube)
            for hold in holds.shuffled() { try transaction.insertHold(hold) }
            #expect(try transaction.updateHold(cleared))
            for index in 0..<25 { try transaction.appendAudit(Records.auditEntry("entry \(index)")) }
        }
        let sorted = holds.map { $0.id == cleared.id ? cleared : $0 }.sorted { $0.id < $1.id }
        #expect(try await storage.read { try $0.holds(includeCleared: true) } == sorted)
        #expect(try await storage.read { try $0.holds(includeCleared: false) } == sorted.filter(\.isActive))
        #expect(try await storage.read { try $0.hold(cleared.id) } == cleared)
        let entries = try await allPages(limit: 10, id: \StoredAuditEntry.sequence) { after in
            try await storage.read { try $0.auditEntries(after: after ?? 0, limit: 10) }
        }
        #expect(entries.map(\.sequence) == Array(1...25))
        #expect(try await storage.read { try $0.auditSize() } == 25)
        try await harness.close()
    }
}
