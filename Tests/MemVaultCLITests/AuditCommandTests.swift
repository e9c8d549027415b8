import Foundation
import GRDB
import Testing

@Suite("memvault audit")
struct AuditCommandTests {
    @Test("log, checkpoint, prove and verify; a deleted entry fails verify with its sequence and a non-zero exit")
    func auditCommands() throws {
        let folder = try TemporaryFolder()
        let cli = CommandRunner(dataFolder: folder.appending("data"))
        try cli.run(["init"])
        try cli.run(["tenant", "create", "acme"])
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        for index in 0..<3 {
            try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "fact \(index)"])
        }
        try cli.run(["memory", "list", "--tenant", "acme", "--cube", cube])

        let log = try cli.run(["audit", "log", "--tenant", "acme", "--json"])
        let entries = log.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(entries.compactMap { $0["action"] as? String } == ["write", "write", "write", "write", "read"])
        // Reading the log is recorded too (6); resolving a subject (7), reading the log by its external id (a
        // resolution and the read, 8 and 9) and the denied attempt below (10) add more; the checkpoint entry is the
        // eleventh.
        #expect(!log.standardOutput.contains("fact"))
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"])
            .string("id")
        let bySubject = try cli.run([
            "audit", "log", "--tenant", "acme", "--external-id", "alice", "--role", "data-protection-officer", "--json",
        ])
        // The subject's creation, and the resolution this very command made to find its pseudonym.
        #expect(bySubject.standardOutput.split(separator: "\n").count == 2, "\(bySubject.standardOutput)")
        #expect(!bySubject.standardOutput.contains(subject) && !bySubject.standardOutput.contains("alice"))
        let denied = try cli.run(["audit", "log", "--tenant", "acme", "--role", "application"])
        #expect(denied.status != 0 && denied.standardError.contains("may not read the audit log"))

        let checkpointFile = folder.appending("checkpoint.txt")
        let checkpoint = try cli.run(["audit", "checkpoint", "--tenant", "acme", "--output", checkpointFile])
        #expect(checkpoint.status == 0 && checkpoint.standardOutput.hasPrefix("memvault.local/acme\n11\n"))
        let proof = try cli.run(["audit", "prove", "--tenant", "acme", "--seq", "3", "--json"])
        #expect(try proof.json()["treeSize"] as? Int == 11)
        let consistency = try cli.run([
            "audit", "prove", "--tenant", "acme", "--from-checkpoint", checkpointFile, "--json",
        ])
        #expect(try consistency.json()["verified"] as? Bool == true)
        #expect(try cli.run(["audit", "verify", "--checkpoint", checkpointFile]).status == 0)

        let database = try DatabaseQueue(path: folder.appending("data/tenants/acme.sqlite"))
        try database.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE sequence = 3") }
        try database.close()
        let broken = try cli.run(["audit", "verify", "--checkpoint", checkpointFile, "--json"])
        #expect(broken.status != 0)
        let tenants = try #require(try broken.json()["tenants"] as? [[String: Any]])
        #expect(tenants.first?["firstBadSequence"] as? Int == 3)
    }

    @Test("with two tenants each checkpoint is checked against its own log; the installation log records tenant events")
    func twoTenantsAndTheInstallationLog() throws {
        let folder = try TemporaryFolder()
        let cli = CommandRunner(dataFolder: folder.appending("data"))
        try cli.run(["init"])
        var checkpoints: [String: String] = [:]
        for tenant in ["acme", "globex"] {
            try cli.run(["tenant", "create", tenant])
            let cube = try cli.run(["cube", "create", "--tenant", tenant, "--shared", "--name", "faq", "--json"])
                .string("id")
            try cli.run(["memory", "add", "--tenant", tenant, "--cube", cube, "--text", "fact"])
            let file = folder.appending("\(tenant).checkpoint")
            try cli.run(["audit", "checkpoint", "--tenant", tenant, "--output", file])
            checkpoints[tenant] = file
        }
        let installationFile = folder.appending("installation.checkpoint")
        try cli.run(["audit", "checkpoint", "--installation", "--output", installationFile])

        let verified = try cli.run([
            "audit", "verify", "--checkpoint", checkpoints["acme"]!, "--checkpoint", checkpoints["globex"]!,
            "--checkpoint", installationFile, "--json",
        ])
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        let logs = try #require(try verified.json()["tenants"] as? [[String: Any]])
        #expect(
            logs.compactMap { $0["origin"] as? String }.sorted() == [
                "memvault.local/_installation", "memvault.local/acme", "memvault.local/globex",
            ])
        for log in logs {
            let given = (log["checkpoints"] as? [[String: Any]] ?? []).filter { $0["source"] as? String == "given" }
            #expect(given.count == 1 && given.first?["valid"] as? Bool == true, "\(log)")
        }
        let wrongLog = try cli.run(["audit", "verify", "--tenant", "acme", "--checkpoint", checkpoints["globex"]!])
        #expect(wrongLog.status != 0 && wrongLog.standardError.contains("memvault.local/globex"))

        // Installation operations: a denied deletion and a real one both land in the installation log.
        let denied = try cli.run(["tenant", "delete", "globex", "--yes", "--role", "auditor"])
        #expect(denied.status != 0 && denied.standardError.contains("may not delete tenants"))
        let policyByApplication = try cli.run(["tenant", "set-policy", "acme", "healthcare", "--role", "application"])
        #expect(policyByApplication.status != 0)
        try cli.run(["tenant", "delete", "globex", "--yes"])
        let log = try cli.run(["audit", "log", "--installation", "--json"])
        let entries = log.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let tenantEvents = entries.filter { $0["action"] as? String == "tenant" }
        #expect(tenantEvents.contains { ($0["detail"] as? String)?.contains("tenant globex: created") == true })
        #expect(tenantEvents.contains { ($0["detail"] as? String)?.contains("tenant globex: deleted") == true })
        #expect(
            tenantEvents.filter { $0["effect"] as? String == "deny" }.map { $0["role"] as? String } == [
                "auditor", "application",
            ])
        #expect(try cli.run(["audit", "verify", "--installation", "--checkpoint", installationFile]).status == 0)
    }

    @Test("a tenant's log replaced by another tenant's fails verification at its first entry")
    func anotherTenantsLogFails() throws {
        let folder = try TemporaryFolder()
        let cli = CommandRunner(dataFolder: folder.appending("data"))
        try cli.run(["init"])
        for tenant in ["acme", "globex"] {
            try cli.run(["tenant", "create", tenant])
            try cli.run(["cube", "create", "--tenant", tenant, "--shared", "--name", "faq"])
        }
        let database = try DatabaseQueue(path: folder.appending("data/tenants/acme.sqlite"))
        try database.write { db in
            try db.execute(
                sql: "ATTACH DATABASE ? AS other", arguments: [folder.appending("data/tenants/globex.sqlite")])
            try db.execute(sql: "DELETE FROM audit_log")
            try db.execute(sql: "DELETE FROM audit_checkpoints")
            try db.execute(sql: "INSERT INTO audit_log SELECT * FROM other.audit_log")
        }
        try database.close()
        let broken = try cli.run(["audit", "verify", "--tenant", "acme", "--json"])
        #expect(broken.status != 0)
        let logs = try #require(try broken.json()["tenants"] as? [[String: Any]])
        #expect(logs.first?["firstBadSequence"] as? Int == 1, "\(logs)")
    }
}
