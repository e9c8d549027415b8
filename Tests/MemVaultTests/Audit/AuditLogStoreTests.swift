import Foundation
import GRDB
import MemVault
import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy
import MemVaultSQLite
import Testing

@Suite("Audit log in the store")
struct AuditLogStoreTests {
    static let auditor = AccessContext(actor: "auditor-1", role: .auditor, purpose: "service-delivery")

    /// A tenant with some history: a subject, a cube, writes, reads, an update, a denial, a delete.
    private func populated() async throws -> (StoreFixture, SubjectID, CubeID) {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let alice = try await app.resolveSubject(externalID: "alice@example.com")
        let cube = try await app.createCube(NewCube(owner: .subject(alice.id), name: "notes"))
        let memories = try await app.addMemories((0..<5).map { .text("fact \($0)") }, to: cube.id)
        _ = try await app.memory(memories[0].id)
        _ = try await app.memories(in: .cube(cube.id))
        _ = try await app.updateMemory(memories[1].id, MemoryChanges(content: .text("fact 1b")))
        _ = try? await fixture.tenant(as: .administrator).memory(memories[2].id)
        try await app.deleteMemory(memories[3].id)
        return (fixture, alice.id, cube.id)
    }

    @Test("every operation is recorded, without personal data, and the log verifies")
    func recorded() async throws {
        let (fixture, alice, cube) = try await populated()
        let auditor = try await fixture.tenant(as: Self.auditor)
        let entries = try await auditor.auditLog()
        #expect(entries.map(\.sequence) == Array(1...UInt64(entries.count)))
        #expect(entries.map(\.action) == ["subject", "write", "write", "read", "read", "update", "read", "delete"])
        let denial = try #require(entries.first { $0.effect == "deny" })
        #expect(denial.role == "administrator" && denial.ruleIDs == ["no-content-for-administrators"])
        let listing = try #require(entries.first { $0.action == "read" && $0.returned == 5 })
        #expect(listing.memories.count == 5)
        #expect(entries.allSatisfy { $0.subject == nil || $0.subject!.hasPrefix("apn_") })
        let everything = entries.map { "\($0)" }.joined()
        #expect(!everything.contains("alice") && !everything.contains(alice.rawValue) && !everything.contains("fact"))
        #expect(try await auditor.auditLog(AuditFilter(cube: cube)).count == entries.count - 1)
        #expect(try await auditor.auditLog(AuditFilter(subject: alice)).count == entries.count)
        #expect(try await auditor.auditLog(AuditFilter(action: "delete")).count == 1)
        let verification = try await auditor.verifyAudit()
        // The four reads of the log above are operations too, recorded after each returned.
        #expect(verification.isValid && verification.entries == UInt64(entries.count) + 4)
        let reads = try await auditor.auditLog(AuditFilter(action: .audit))
        #expect(reads.count == 5 && reads.allSatisfy { $0.actor == "auditor-1" && $0.effect == .permit })
        // The application may not read the log.
        await #expect(throws: MemVaultError.self) { try await fixture.tenant().auditLog() }
    }

    /// Applies `tamper` to the raw audit_log table and returns what verification finds.
    private func verifyAfter(
        _ fixture: StoreFixture, checkpoints: [String] = [], _ tamper: (Database) throws -> Void
    ) async throws -> AuditVerification {
        try fixture.tamper("acme", tamper)
        let store = try await fixture.reopened()
        defer { Task { try? await store.close() } }
        return try await store.tenant(TenantID("acme"), as: Self.auditor).verifyAudit(checkpoints: checkpoints)
    }

    @Test("a changed field, a deleted, swapped or inserted entry are each caught at the first bad sequence")
    func tamperedEntries() async throws {
        let cases: [(String, UInt64, (Database) throws -> Void)] = [
            (
                "changed field", 4,
                { db in
                    let entry = try Data.fetchOne(db, sql: "SELECT entry FROM audit_log WHERE sequence = 4")!
                    var bytes = Array(entry)
                    bytes[bytes.count - 30] ^= 0x01
                    try db.execute(sql: "UPDATE audit_log SET entry = ? WHERE sequence = 4", arguments: [Data(bytes)])
                }
            ),
            ("deleted entry", 3, { db in try db.execute(sql: "DELETE FROM audit_log WHERE sequence = 3") }),
            (
                "swapped pair", 5,
                { db in
                    try db.execute(
                        sql: """
                            UPDATE audit_log SET sequence = 1000000 WHERE sequence = 5;
                            UPDATE audit_log SET sequence = 5 WHERE sequence = 6;
                            UPDATE audit_log SET sequence = 6 WHERE sequence = 1000000;
                            """)
                }
            ),
            (
                "inserted entry", 3,
                { db in
                    try db.execute(sql: "UPDATE audit_log SET sequence = sequence + 1000 WHERE sequence >= 3")
                    try db.execute(sql: "UPDATE audit_log SET sequence = sequence - 999 WHERE sequence >= 1003")
                    let forged = AuditEncoding.encode(
                        AuditEntry(
                            sequence: 3, time: 0, actor: "forger", role: "administrator", action: "erase", purpose: "x",
                            effect: "permit"))
                    try db.execute(
                        sql: "INSERT INTO audit_log (sequence, entry, hash) VALUES (3, ?, ?)",
                        arguments: [Data(forged), Data(repeating: 7, count: 32)])
                }
            ),
        ]
        for (name, expected, tamper) in cases {
            let (fixture, _, _) = try await populated()
            try await fixture.store.close()
            let result = try await verifyAfter(fixture, tamper)
            #expect(!result.isValid, "\(name)")
            #expect(result.firstBadSequence == expected, "\(name): \(result.problemSummary ?? "")")
        }
    }

    @Test("a truncated or recomputed tail and a forged signature are caught against a checkpoint held outside")
    func checkpoints() async throws {
        let (fixture, _, _) = try await populated()
        let auditor = try await fixture.tenant(as: Self.auditor)
        let held = try await auditor.signAuditCheckpoint()
        let verifier = try await auditor.auditVerifierKey()
        #expect(try Checkpoint.open(held, verifier: verifier).size > 8)
        #expect(try await auditor.verifyAudit(checkpoints: [held]).isValid)
        // More activity, then a consistency proof from the held checkpoint.
        _ = try await fixture.tenant().resolveSubject(externalID: "bob")
        let proof = try await auditor.auditConsistencyProof(from: held)
        #expect(proof.verified && proof.newSize > proof.oldSize)
        let inclusion = try await auditor.auditInclusionProof(sequence: 2)
        #expect(
            MerkleTree.verifyInclusion(
                leafHash: Hex.decode(inclusion.leafHash)!, index: 1, treeSize: inclusion.treeSize,
                proof: inclusion.proof.map { Hex.decode($0)! }, root: Hex.decode(inclusion.root)!))
        try await fixture.store.close()

        // Truncated: the chain of what remains is fine; the held checkpoint is not.
        let truncated = try await verifyAfter(fixture, checkpoints: [held]) { db in
            let last = try Int.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_log")!
            try db.execute(sql: "DELETE FROM audit_log WHERE sequence > ?", arguments: [last - 6])
            try db.execute(sql: "DELETE FROM audit_checkpoints")
        }
        #expect(truncated.firstBadSequence == nil)
        #expect(!truncated.isValid && truncated.problemSummary?.contains("truncated") == true)

        // Rewritten from entry 5 with recomputed hashes: the chain verifies, the checkpoint does not.
        let (rewrittenFixture, _, _) = try await populated()
        let note = try await rewrittenFixture.tenant(as: Self.auditor).signAuditCheckpoint()
        try await rewrittenFixture.store.close()
        let rewritten = try await verifyAfter(rewrittenFixture, checkpoints: [note]) { db in
            let rows = try Row.fetchAll(db, sql: "SELECT sequence, entry FROM audit_log ORDER BY sequence")
            var previous = try AuditChain.genesis(origin: "memvault.local/acme")
            for row in rows {
                var entry = try AuditEncoding.decode(Array(row["entry"] as Data))
                if entry.sequence >= 5 { entry.actor = "someone-else" }
                let encoded = AuditEncoding.encode(entry)
                previous = try AuditChain.hash(previous: previous, encoded: encoded)
                try db.execute(
                    sql: "UPDATE audit_log SET entry = ?, hash = ? WHERE sequence = ?",
                    arguments: [Data(encoded), Data(previous), row["sequence"] as Int64])
            }
            try db.execute(sql: "DELETE FROM audit_checkpoints")
        }
        #expect(rewritten.firstBadSequence == nil)
        #expect(!rewritten.isValid && rewritten.problemSummary?.contains("rewritten") == true)

        // A checkpoint with a forged signature.
        let forged = held.replacingOccurrences(
            of: "\n\(try Checkpoint.open(held, verifier: verifier).size)\n", with: "\n3\n")
        let store = try await fixture.reopened()
        let badSignature = try await store.tenant(TenantID("acme"), as: Self.auditor).verifyAudit(checkpoints: [forged])
        #expect(!badSignature.isValid && badSignature.problemSummary?.contains("does not verify") == true)
    }

    @Test("fail closed: if the audit entry cannot be written, the operation fails and nothing changes")
    func failClosed() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "c"))
        let memory = try await app.addMemory(.text("before"), to: cube.id)
        try await fixture.store.close()
        try fixture.tamper { db in
            try db.execute(
                sql: "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'injected'); END")
        }
        let store = try await fixture.reopened()
        let broken = try await store.tenant(TenantID("acme"))
        await #expect(throws: (any Error).self) { _ = try await broken.addMemory(.text("after"), to: cube.id) }
        await #expect(throws: (any Error).self) { _ = try await broken.memory(memory.id) }
        await #expect(throws: (any Error).self) { try await broken.deleteMemory(memory.id) }
        try await store.close()
        #expect(try fixture.rowCount("memories") == 1)
        try fixture.tamper { db in try db.execute(sql: "DROP TRIGGER audit_fails") }
        #expect(try await fixture.reopened().tenant(TenantID("acme")).memory(memory.id).content == .text("before"))
    }

    @Test("many concurrent writers and readers: no gaps, every request recorded, the log verifies")
    func concurrency() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "busy"))
        let seed = try await app.addMemory(.text("seed"), to: cube.id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for step in 0..<25 {
                        if worker % 2 == 0 {
                            _ = try await app.addMemory(.text("w\(worker)-\(step)"), to: cube.id)
                        } else {
                            _ = try await app.memory(seed.id)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let auditor = try await fixture.tenant(as: Self.auditor)
        let entries = try await auditor.auditLog()
        // The cube and the seed, then 8 writers and 8 readers of 25 requests each.
        let expectedWrites = 2 + 8 * 25
        let expectedTotal = expectedWrites + 8 * 25
        let sequences = entries.map(\.sequence)
        #expect(entries.count == expectedTotal)
        #expect(sequences == Array(1...UInt64(expectedTotal)))
        #expect(entries.filter { $0.action == "write" }.count == expectedWrites)
        #expect(try await auditor.verifyAudit().isValid)
    }

    @Test("after a subject's keys are destroyed its audit pseudonym can no longer be computed; the log still verifies")
    func pseudonymsUnlinkAfterErasure() async throws {
        let (fixture, alice, _) = try await populated()
        let auditor = try await fixture.tenant(as: Self.auditor)
        #expect(try await auditor.auditLog(AuditFilter(subject: alice)).count > 0)
        try fixture.installation.keys.destroyDataKeys(TenantID("acme"), owner: .subject(alice))
        let store = try await fixture.reopened()
        let fresh = try await store.tenant(TenantID("acme"), as: Self.auditor)
        await #expect(throws: MemVaultError.self) { try await fresh.auditLog(AuditFilter(subject: alice)) }
        #expect(try await fresh.verifyAudit().isValid)
    }
}

@Suite("Periodic checkpoints")
struct PeriodicCheckpointTests {
    @Test("closing the store signs a checkpoint only for a tenant whose log grew by the interval")
    func checkpointOnClose() async throws {
        let root = try TemporaryFolder()
        let installation = try Installation.initialise(at: root.appending("data"), masterKey: .keyFile(path: nil))
        let store = try await MemoryStore.open(
            installation, policies: StoreFixture.policies, auditCheckpointInterval: 10)
        try await store.createTenant(TenantID("busy"))
        try await store.createTenant(TenantID("quiet"))
        let busy = try await store.tenant(TenantID("busy"), as: .serviceDelivery)
        let cube = try await busy.createCube(NewCube(owner: .tenant, name: "c"))
        for index in 0..<12 { _ = try await busy.addMemory(.text("m\(index)"), to: cube.id) }
        _ = try await store.tenant(TenantID("quiet"), as: .serviceDelivery).createCube(
            NewCube(owner: .tenant, name: "q"))
        try await store.close()

        let reopened = try await MemoryStore.open(
            Installation.open(at: root.appending("data"), masterKey: .keyFile(path: nil)),
            policies: StoreFixture.policies)
        let auditor = AccessContext(actor: "auditor", role: .auditor, purpose: "audit")
        let busyAudit = try await reopened.tenant(TenantID("busy"), as: auditor).verifyAudit()
        #expect(busyAudit.isValid && busyAudit.checkpoints.count == 1 && busyAudit.checkpoints[0].size == 14)
        let quietAudit = try await reopened.tenant(TenantID("quiet"), as: auditor).verifyAudit()
        #expect(quietAudit.checkpoints.isEmpty)
        let log = try await reopened.tenant(TenantID("busy"), as: auditor).auditLog()
        // The checkpoint covers its own entry: the last it covers is the system's checkpoint entry (the reads of
        // the log since are recorded after it).
        let covered = log[Int(busyAudit.checkpoints[0].size ?? 0) - 1]
        #expect(covered.actor == "memvault:system" && covered.detail == "checkpoint")
    }
}

@Suite("Two processes, one tenant")
struct SharedDataFolderTests {
    @Test("two independently opened stores writing the same tenant leave one gapless, verifying audit log")
    func twoStores() async throws {
        let fixture = try await StoreFixture.make()
        let other = try await fixture.reopened()
        let first = try await fixture.tenant()
        let second = try await other.tenant(TenantID("acme"))
        let cube = try await first.createCube(NewCube(owner: .tenant, name: "shared"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                let store = worker.isMultiple(of: 2) ? first : second
                group.addTask {
                    for step in 0..<20 { _ = try await store.addMemory(.text("\(worker)-\(step)"), to: cube.id) }
                }
            }
            try await group.waitForAll()
        }
        let auditor = try await fixture.tenant(as: AccessContext(actor: "auditor", role: .auditor, purpose: "audit"))
        let entries = try await auditor.auditLog()
        #expect(entries.count == 1 + 8 * 20)
        #expect(try await auditor.verifyAudit().isValid)
        #expect(try await first.memories(in: .cube(cube.id), limit: 1000).items.count == 160)
        try await other.close()
    }
}

@Suite("Key events in the audit log")
struct KeyEventAuditTests {
    @Test("rotation, rewrap and retirement are recorded; so are a refused retirement and a denied rotation")
    func keyEvents() async throws {
        let fixture = try await StoreFixture.make()
        let admin = try await fixture.tenant(as: .administrator)
        #expect(try await admin.rotateTenantKey() == 2)
        #expect(try await admin.rewrapDataKeys() == 2)
        await #expect(throws: MemVaultError.self) { try await admin.retireTenantKey(version: 2) }
        try await admin.retireTenantKey(version: 1)
        let denied = try await #require(throws: MemVaultError.self) { try await fixture.tenant().rotateTenantKey() }
        #expect(denied.code == .denied)

        let auditor = try await fixture.tenant(as: AccessContext(actor: "auditor", role: .auditor, purpose: "audit"))
        let keyEntries = try await auditor.auditLog(AuditFilter(action: "key"))
        #expect(
            keyEntries.compactMap(\.detail) == [
                "tenant key rotation", "data key rewrap", "tenant key v2 retirement",
                "tenant key v2 retirement failed: key_in_use",
                "tenant key v1 retirement",
            ])
        #expect(keyEntries.last?.effect == "deny" && keyEntries.last?.role == "application")
        #expect(try await auditor.verifyAudit().isValid)
    }
}
