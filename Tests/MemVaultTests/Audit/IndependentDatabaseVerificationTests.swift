import Foundation
import GRDB
import MemVault
import MemVaultAudit
import MemVaultPolicy
import MemVaultSQLite
import Testing

/// Audit/verify_audit.py, which shares no code with MemVault, checks a real tenant database and a checkpoint.
@Suite("Independent verification of a tenant's audit log")
struct IndependentDatabaseVerificationTests {
    static let script = StoreFixture.policiesFolder.deletingLastPathComponent().appending(path: "Audit/verify_audit.py")
        .path

    private func verify(_ fixture: StoreFixture, checkpoint: String, key: String) throws -> (Int32, String) {
        try verify(["--database", fixture.databasePath(), "--checkpoint", checkpoint, "--verifier-key", key])
    }

    private func verify(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3", Self.script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("the Python verifier accepts the store's log and checkpoint, and catches a changed entry")
    func pythonVerifier() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "faq"))
        let memories = try await app.addMemories((0..<4).map { .text("answer \($0)") }, to: cube.id)
        _ = try await app.memory(memories[0].id)
        let auditor = try await fixture.tenant(
            as: AccessContext(actor: "auditor", role: .auditor, purpose: "service-delivery"))
        let checkpoint = fixture.root.appending("checkpoint.txt")
        try await auditor.signAuditCheckpoint().write(toFile: checkpoint, atomically: true, encoding: .utf8)
        let key = try await auditor.auditVerifierKey().verifierKey
        try await fixture.store.close()

        let (status, output) = try verify(fixture, checkpoint: checkpoint, key: key)
        #expect(status == 0, "\(output)")
        #expect(output.contains("chain verifies") && output.contains("signed and consistent"))

        try fixture.tamper { db in
            let entry = try Data.fetchOne(db, sql: "SELECT entry FROM audit_log WHERE sequence = 2")!
            var bytes = Array(entry)
            bytes[bytes.count - 20] ^= 0x20
            try db.execute(sql: "UPDATE audit_log SET entry = ? WHERE sequence = 2", arguments: [Data(bytes)])
        }
        let (tamperedStatus, tamperedOutput) = try verify(fixture, checkpoint: checkpoint, key: key)
        #expect(tamperedStatus == 1)
        #expect(tamperedOutput.contains("entry 2"), "\(tamperedOutput)")
    }

    @Test("the Python verifier binds each log to its origin and checks the catalog's copy of the latest checkpoint")
    func originAndCatalog() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        var keys: [String: String] = [:]
        for tenant in ["acme", "globex"] {
            let app = try await fixture.tenant(tenant)
            _ = try await app.createCube(NewCube(owner: .tenant, name: "faq"))
            let auditor = try await fixture.tenant(tenant, as: .auditor)
            _ = try await auditor.signAuditCheckpoint()
            keys[tenant] = try await auditor.auditVerifierKey().verifierKey
        }
        try await fixture.store.close()
        let acme = ["--database", fixture.databasePath("acme"), "--verifier-key", keys["acme"]!]

        let (status, output) = try verify(acme + ["--catalog", fixture.catalogPath])
        #expect(status == 0, "\(output)")
        // Globex's database presented as acme's log: the chain's genesis names another origin.
        let (swapped, swappedOutput) = try verify(
            ["--database", fixture.databasePath("globex"), "--origin", "memvault.local/acme"])
        #expect(swapped == 1 && swappedOutput.contains("entry 1"), "\(swappedOutput)")
        // The stored checkpoints deleted: the catalog's copy of the latest one is missing from the tenant database.
        try fixture.tamper { try $0.execute(sql: "DELETE FROM audit_checkpoints") }
        let (deleted, deletedOutput) = try verify(acme + ["--catalog", fixture.catalogPath])
        #expect(deleted == 1, "\(deletedOutput)")
        let (withoutCatalog, _) = try verify(acme)
        #expect(withoutCatalog == 0, "without the catalog nothing says a checkpoint was there")
    }
}
