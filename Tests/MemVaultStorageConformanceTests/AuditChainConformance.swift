import Foundation
import MemVault
import MemVaultAudit
import Testing

@Suite("Storage conformance: the audit chain under concurrency")
struct AuditChainConformance {
    @Test(
        "appends from two processes at once make one gapless chain from the origin's genesis",
        arguments: BackendUnderTest.all)
    func twoProcesses(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let here = try await harness.tenant("acme")
        let other = try await harness.anotherProcess()
        let there = try await harness.tenant("acme", in: other)
        let perProcess = 150
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<(2 * perProcess) {
                let storage = index.isMultiple(of: 2) ? here : there
                group.addTask {
                    _ = try await storage.unitOfWork { try $0.appendAudit(Records.auditEntry("\(index)")) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await here.read { try $0.auditEntries(after: 0, limit: 1_000) }
        #expect(entries.map(\.sequence) == Array(1...UInt64(2 * perProcess)))
        #expect(try AuditChain.verify(entries, origin: AuditOrigins.tenant(TenantID("acme"))) == nil)
        let details = try entries.map { try AuditEncoding.decode($0.encoded).detail ?? "" }
        #expect(Set(details) == Set((0..<(2 * perProcess)).map(String.init)))
        try await other.close()
        try await harness.close()
    }

    @Test(
        "checkpoints are kept smallest first; the catalog's log chains from its own genesis",
        arguments: BackendUnderTest.all)
    func checkpointsAndCatalog(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        for size in [3, 1, 2] as [UInt64] {
            try await storage.unitOfWork { transaction in
                try transaction.insertCheckpoint(
                    StoredCheckpoint(size: size, root: Records.bytes(32), note: "note \(size)", createdAt: Records.now))
            }
        }
        #expect(try await storage.read { try $0.checkpoints() }.map(\.size) == [1, 2, 3])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    _ = try await harness.backend.catalog.unitOfWork { try $0.appendAudit(Records.auditEntry()) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await harness.backend.catalog.read { try $0.auditEntries(after: 0, limit: 100) }
        #expect(entries.count == 50)
        #expect(try AuditChain.verify(entries, origin: AuditOrigins.installation) == nil)
        // The same entries under another origin do not verify: every chain binds where it lives.
        #expect(try AuditChain.verify(entries, origin: AuditOrigins.tenant(TenantID("acme")))?.sequence == 1)
        try await harness.close()
    }
}
