import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import Testing

@Suite("Storage conformance: isolation and atomicity")
struct IsolationAndAtomicityConformance {
    @Test("a tenant's storage never returns another tenant's records", arguments: BackendUnderTest.all)
    func tenantsAreIsolated(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let acme = try await harness.tenant("acme")
        let globex = try await harness.tenant("globex")
        let alice = try Records.subject()
        let cube = try Records.cube(owner: alice.id)
        let memory = try Records.memory(in: cube)
        let hold = try Records.hold(on: .subject(alice.id))
        let (change, state) = try Records.consentChange(alice.id, purpose: "safety", state: .given, previous: nil)
        try await acme.unitOfWork { transaction in
            try transaction.insertSubject(alice)
            try transaction.insertCube(cube)
            try transaction.insertMemories([memory])
            try transaction.insertHold(hold)
            try transaction.recordConsent(change, current: state)
            try transaction.appendAudit(Records.auditEntry())
        }
        try await globex.unitOfWork { (transaction: any TenantTransaction) throws in
            #expect(try transaction.subject(id: alice.id) == nil)
            #expect(try transaction.subject(pseudonym: alice.pseudonym) == nil)
            #expect(try transaction.cube(cube.id) == nil)
            #expect(try transaction.cubes(.all, after: nil, limit: 10).isEmpty)
            #expect(try transaction.memory(memory.id) == nil)
            #expect(try transaction.governedMemory(memory.id, purpose: "safety") == nil)
            #expect(try transaction.history(memory.id).isEmpty)
            #expect(try transaction.holds(includeCleared: true).isEmpty)
            #expect(try transaction.consentHistory(subject: alice.id).isEmpty)
            #expect(try transaction.auditSize() == 0)
            // Writes name records by id: one from another tenant is simply not there.
            #expect(try !transaction.deleteMemory(memory.id))
            #expect(try !transaction.deleteCube(cube.id))
            #expect(try !transaction.updateHold(hold))
        }
        #expect(try await acme.read { try $0.memory(memory.id)?.current } == memory)
        try await harness.close()
    }

    @Test("a unit of work that throws leaves nothing behind, its audit entry included", arguments: BackendUnderTest.all)
    func failedUnitChangesNothing(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        try await storage.unitOfWork { try $0.insertCube(cube) }
        let memory = try Records.memory(in: cube)
        await #expect(throws: Abort.self) {
            try await storage.unitOfWork { transaction in
                try transaction.insertMemories([memory])
                try transaction.appendAudit(Records.auditEntry())
                throw Abort()
            }
        }
        #expect(try await storage.read { try $0.memory(memory.id) } == nil)
        #expect(try await storage.read { try $0.auditSize() } == 0)
        // The next unit chains from the true tail, as if the failed one never ran.
        #expect(try await storage.unitOfWork { try $0.appendAudit(Records.auditEntry()) } == 1)
        try await harness.close()
    }

    @Test(
        "concurrent units of work: the failing ones change nothing, the rest all commit",
        arguments: BackendUnderTest.all)
    func concurrentUnitsFailAlone(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        try await storage.unitOfWork { try $0.insertCube(cube) }
        let memories = try (0..<120).map { _ in try Records.memory(in: cube) }
        let committed = await withTaskGroup(of: MemoryID?.self) { group in
            for (index, memory) in memories.enumerated() {
                group.addTask {
                    do {
                        try await storage.unitOfWork { transaction in
                            try transaction.insertMemories([memory])
                            try transaction.appendAudit(Records.auditEntry(memory.id.rawValue))
                            if index.isMultiple(of: 7) { throw Abort() }
                        }
                        return memory.id
                    } catch {
                        return nil
                    }
                }
            }
            return await group.reduce(into: Set<MemoryID>()) { if let id = $1 { $0.insert(id) } }
        }
        #expect(committed.count == memories.count - (0..<memories.count).filter { $0.isMultiple(of: 7) }.count)
        let stored = try await storage.read { try $0.memories(.cube(cube.id), statuses: nil, after: nil, limit: 500) }
        #expect(Set(stored.map(\.id)) == committed)
        // One entry per committed unit, gapless, chained, each naming its own memory.
        let entries = try await storage.read { try $0.auditEntries(after: 0, limit: 500) }
        #expect(entries.map(\.sequence) == Array(1...UInt64(committed.count)))
        #expect(try AuditChain.verify(entries, origin: AuditOrigins.tenant(TenantID("acme"))) == nil)
        let named = try entries.map { try AuditEncoding.decode($0.encoded).detail ?? "" }
        #expect(Set(named) == Set(committed.map(\.rawValue)))
        try await harness.close()
    }

    @Test(
        "constraints: a duplicate id is a conflict, a missing cube or subject is not found",
        arguments: BackendUnderTest.all)
    func constraints(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let alice = try Records.subject()
        let cube = try Records.cube(owner: alice.id)
        let memory = try Records.memory(in: cube)
        func code(_ body: @escaping @Sendable (any TenantTransaction) throws -> Void) async -> MemVaultError.Code? {
            do {
                try await storage.unitOfWork(body)
                return nil
            } catch {
                return (error as? MemVaultError)?.code
            }
        }
        #expect(await code { try $0.insertCube(cube) } == .notFound)
        #expect(await code { try $0.insertSubject(alice) } == nil)
        #expect(await code { try $0.insertSubject(alice) } == .conflict)
        #expect(await code { try $0.insertCube(cube) } == nil)
        #expect(await code { try $0.insertCube(cube) } == .conflict)
        #expect(await code { try $0.insertMemories([Records.memory(in: Records.cube())]) } == .notFound)
        #expect(await code { try $0.insertMemories([memory]) } == nil)
        #expect(await code { try $0.insertMemories([memory]) } == .conflict)
        // Deleting a cube takes its memories and their history with it.
        let next = Records.nextVersion(of: memory)
        #expect(await code { _ = try $0.replaceCurrent(with: next, superseded: memory) } == nil)
        #expect(try await storage.unitOfWork { try $0.deleteCube(cube.id) })
        #expect(try await storage.read { try $0.history(memory.id) }.isEmpty)
        #expect(try await storage.read { try $0.cube(cube.id) } == nil)
        try await harness.close()
    }

    @Test("the catalog keeps tenant entries and its own audit log", arguments: BackendUnderTest.all)
    func catalog(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let catalog = harness.backend.catalog
        let entries = try ["globex", "acme", "initech"].map { name in
            TenantEntryRecord(
                tenant: try TenantID(name), state: .active, policy: "default", createdAt: Records.now, hasHolds: false,
                checkpoint: nil, seal: Records.bytes(32))
        }
        try await catalog.unitOfWork { transaction in
            for entry in entries { try transaction.saveTenantEntry(entry) }
            try transaction.appendAudit(Records.auditEntry())
        }
        let changed = TenantEntryRecord(
            tenant: entries[0].tenant, state: .deleting, policy: "healthcare", createdAt: entries[0].createdAt,
            hasHolds: true, checkpoint: "note", seal: Records.bytes(32))
        try await catalog.unitOfWork { transaction in
            try transaction.saveTenantEntry(changed)
            try transaction.deleteTenantEntry(entries[2].tenant)
        }
        let stored = try await catalog.read { try $0.tenantEntries() }
        #expect(stored == [entries[1], changed])
        #expect(try await catalog.read { try $0.tenantEntry(entries[2].tenant) } == nil)
        let log = try await catalog.read { try $0.auditEntries(after: 0, limit: 10) }
        #expect(try AuditChain.verify(log, origin: AuditOrigins.installation) == nil && log.count == 1)
        try await harness.close()
    }
}
