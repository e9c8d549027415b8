import Foundation
import GRDB
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `memvault erase` and `memvault restriction` end to end, with the run killed (SIGKILL) at many points.
@Suite("memvault erase and restriction")
struct ErasureCommandTests {
    let folder: TemporaryFolder
    var cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    /// A subject with a cube of `count` memories (marker text included), consent with evidence; returns its ids.
    func subject(_ name: String, memories count: Int) throws -> (subject: String, cube: String) {
        let subject = try cli.run([
            "subject", "resolve", "--tenant", "acme", "--external-id", "\(name)@example.com", "--json",
        ])
        .string("id")
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", name, "--category", "conversation",
            "--json",
        ]).string("id")
        let lines = (0..<count).map { "{\"text\": \"\(name) remembers okapi\(name) number \($0)\"}" }
        let imported = try cli.run(
            ["memory", "import", "--tenant", "acme", "--cube", cube, "--json"],
            input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(imported.status == 0, "\(imported.standardError)")
        try cli.run([
            "consent", "grant", "--tenant", "acme", "--subject", subject, "--for", "personalisation", "--evidence",
            "form \(name)",
        ])
        return (subject, cube)
    }

    /// Bytes of every file under the data folder, and the key folder beside it.
    func files() throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for root in [cli.dataFolder] {
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let path = enumerator?.nextObject() as? String {
                let full = "\(root)/\(path)"
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
                    files[path] = Array(try Data(contentsOf: URL(filePath: full)))
                }
            }
        }
        return files
    }

    /// What is stored of the subject (payload blobs, external id, pseudonym, id), to look for after erasure.
    func artefacts(of subject: String) throws -> [(String, [UInt8])] {
        var needles: [(String, [UInt8])] = [("subject id", Array(subject.utf8))]
        let database = try DatabaseQueue(path: "\(cli.dataFolder)/tenants/acme.sqlite")
        try database.read { db in
            for payload in try Data.fetchAll(
                db, sql: "SELECT payload FROM memories WHERE subject_id = ?", arguments: [subject])
            {
                needles.append(("payload", Array(payload[(payload.count / 2 - 16)..<(payload.count / 2 + 16)])))
            }
            let row = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT pseudonym, external_id FROM subjects WHERE subject_id = ?", arguments: [subject]))
            needles.append(("pseudonym", Array((row[0] as String).utf8)))
            let sealed = Array(row[1] as Data)
            needles.append(("sealed external id", Array(sealed[(sealed.count / 2 - 8)..<(sealed.count / 2 + 8)])))
        }
        try database.close()
        return needles
    }

    @Test("request, run, status, list and receipt; the receipt verifies here and in the Python verifier")
    func endToEnd() throws {
        let alice = try subject("alice", memories: 30)
        let bob = try subject("bob", memories: 5)
        let filed = try cli.run([
            "erase", "request", "--tenant", "acme", "--external-id", "alice@example.com", "--ground",
            "consent-withdrawn", "--json",
        ]).json()
        let id = try #require(filed["id"] as? String)
        #expect(filed["state"] as? String == "received" && (filed["subject"] as? String)?.hasPrefix("apn_") == true)
        let again = try cli.run([
            "erase", "request", "--tenant", "acme", "--subject", alice.subject, "--ground", "consent-withdrawn",
            "--json",
        ])
        #expect(try again.string("id") == id, "filing again returns the open request")
        #expect(try cli.run(["erase", "list", "--tenant", "acme", "--open"]).standardOutput.contains(id))

        let run = try cli.run(["erase", "run", "--tenant", "acme", "--batch", "8", "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("\(id): memories, 16 erased"), "progress per batch: \(run.standardError)")
        let status = try cli.run(["erase", "status", "--tenant", "acme", id])
        #expect(status.standardOutput.contains("completed") && status.standardOutput.contains("erased: 30 memories"))

        let receiptFile = folder.appending("receipt.json")
        try cli.run(["erase", "receipt", "--tenant", "acme", id, "--output", receiptFile])
        let verified = try cli.run(["erase", "receipt", "--verify", receiptFile, "--tenant", "acme"])
        #expect(verified.status == 0 && verified.standardOutput.contains("The receipt is valid."))
        let key = try cli.run(["audit", "key", "--tenant", "acme"]).standardOutput.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let python = try Self.python(["Audit/verify_audit.py", "--receipt", receiptFile, "--verifier-key", key])
        #expect(python.status == 0, "\(python.output)")
        #expect(python.output.contains("completed: 30 memories erased, 0 kept"))

        // An altered receipt fails both verifiers.
        let altered = folder.appending("altered.json")
        let text = try String(contentsOfFile: receiptFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"count\":30", with: "\"count\":3").write(
            toFile: altered, atomically: true, encoding: .utf8)
        #expect(try cli.run(["erase", "receipt", "--verify", altered, "--verifier-key", key]).status != 0)
        #expect(try Self.python(["Audit/verify_audit.py", "--receipt", altered, "--verifier-key", key]).status != 0)

        // Bob is untouched; the log verifies.
        let bobs = try cli.run(["memory", "list", "--tenant", "acme", "--cube", bob.cube, "--json"]).json()
        #expect((bobs["items"] as? [Any])?.count == 5)
        #expect(try cli.run(["audit", "verify", "--tenant", "acme"]).status == 0)
    }

    @Test("restriction set, list and lift from the command line, in JSON")
    func restriction() throws {
        let alice = try subject("alice", memories: 2)
        let memory = try #require(
            (try cli.run(["memory", "list", "--tenant", "acme", "--cube", alice.cube, "--json"]).json()["items"]
                as? [[String: Any]])?.first?["id"] as? String)
        let set = try cli.run([
            "restriction", "set", "--tenant", "acme", "--subject", alice.subject, "--ground", "accuracy-contested",
            "--allow", "data-subject-rights", "--json",
        ])
        #expect(set.status == 0, "\(set.standardOutput)\(set.standardError)")
        let id = try set.string("id")
        let denied = try cli.run(["memory", "get", "--tenant", "acme", memory, "--json"])
        #expect(denied.status != 0 && denied.standardOutput.contains("memvault:restriction"))
        let listed = try cli.run(["restriction", "list", "--tenant", "acme", "--json"]).json()
        #expect((listed["restrictions"] as? [[String: Any]])?.first?["article"] as? String == "Art. 18(1)(a)")
        #expect(try cli.run(["restriction", "lift", "--tenant", "acme", id]).status == 0)
        #expect(try cli.run(["memory", "get", "--tenant", "acme", memory, "--json"]).status == 0)
    }

    /// Runs `command` and SIGKILLs it right after it printed `lines` progress lines on standard error; returns
    /// whether it was killed (false: it finished first).
    func runKilled(_ command: [String], afterLines lines: Int) throws -> Bool {
        let process = try cli.process(command)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let seen = Mutex((lines: 0, killed: false))
        try process.run()
        let pid = process.processIdentifier
        errors.fileHandleForReading.readabilityHandler = { handle in
            let count = handle.availableData.filter { $0 == 0x0A }.count
            let kill = seen.withLock { state in
                state.lines += count
                guard !state.killed, state.lines >= lines else { return false }
                state.killed = true
                return true
            }
            if kill { Glibc.kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        return process.terminationReason == .uncaughtSignal
    }

    @Test("an erasure killed at many points resumes and completes; nothing of the subject is left in the files")
    func killedErasure() throws {
        let alice = try subject("alice", memories: 400)
        let bob = try subject("bob", memories: 20)
        let needles = try artefacts(of: alice.subject)
        let id = try cli.run([
            "erase", "request", "--tenant", "acme", "--subject", alice.subject, "--ground", "objection", "--json",
        ]).string("id")
        // Each run prints where it starts, then a line per step: killed after its second line, every run gets one
        // unit further, so the kills land in every step (memory batches, records, keys, completion, receipt).
        var kills = 0
        while try runKilled(["erase", "run", "--tenant", "acme", id, "--batch", "40"], afterLines: 2) {
            kills += 1
            if kills == 1 {
                // A credential the policy does not let erase cannot carry on what the officer started.
                let resumed = try cli.run(["erase", "run", "--tenant", "acme", id, "--role", "administrator", "--json"])
                #expect(resumed.status != 0 && resumed.standardOutput.contains("denied"))
            }
            #expect(kills < 40, "the erasure does not progress")
            if kills >= 40 { break }
        }
        #expect(kills >= 10, "killed \(kills) times")
        let status = try cli.run(["erase", "status", "--tenant", "acme", id, "--json"]).json()
        #expect(status["state"] as? String == "completed" && status["step"] as? String == "done")
        #expect((status["erased"] as? [String: Int])?["conversation"] == 400)

        let files = try files()
        for (what, needle) in needles {
            let found = files.filter { $0.value.firstRange(of: needle) != nil }.map(\.key)
            #expect(found.isEmpty, "\(what) in \(found)")
        }
        let plaintext = ["okapialice", "alice@example.com", "form alice"].map { Array($0.utf8) }
        #expect(!files.values.contains { bytes in plaintext.contains { bytes.firstRange(of: $0) != nil } })
        let bobs = try cli.run(["memory", "list", "--tenant", "acme", "--cube", bob.cube, "--json"]).json()
        #expect((bobs["items"] as? [Any])?.count == 20)
        #expect(try cli.run(["audit", "verify", "--tenant", "acme"]).status == 0)
        let receiptFile = folder.appending("receipt.json")
        try cli.run(["erase", "receipt", "--tenant", "acme", id, "--output", receiptFile])
        #expect(try cli.run(["erase", "receipt", "--verify", receiptFile, "--tenant", "acme"]).status == 0)
    }

    @Test("a retention sweep killed at many points resumes and completes; nothing purged is left in the files")
    func killedSweep() throws {
        // A policy whose conversations are kept three seconds.
        let policies = folder.appending("policies")
        try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
        let policy = try String(contentsOfFile: "\(CommandRunner.policiesFolder)/default.yaml", encoding: .utf8)
        try policy.replacingOccurrences(of: "    retention: P90D\n", with: "    retention: PT3S\n")
            .write(toFile: "\(policies)/default.yaml", atomically: true, encoding: .utf8)
        var shortRetention = self
        shortRetention.cli.context = ["--policies", policies, "--purpose", "service-delivery"]
        shortRetention.cli.policies = policies
        try shortRetention.sweepKilled()
    }

    func sweepKilled() throws {
        let alice = try subject("alice", memories: 300)
        let needles = try artefacts(of: alice.subject).filter { $0.0 == "payload" }
        Thread.sleep(forTimeInterval: 3.5)
        var kills = 0
        while try runKilled(
            ["retention", "sweep", "--tenant", "acme", "--role", "administrator", "--batch", "30"], afterLines: 2)
        {
            kills += 1
            if kills >= 30 { break }
        }
        #expect(kills >= 5, "killed \(kills) times")
        let left = try cli.run(["memory", "list", "--tenant", "acme", "--cube", alice.cube, "--json"]).json()
        #expect((left["items"] as? [Any])?.isEmpty == true)
        let files = try files()
        for (what, needle) in needles {
            #expect(!files.values.contains { $0.firstRange(of: needle) != nil }, "\(what)")
        }
        #expect(try cli.run(["audit", "verify", "--tenant", "acme"]).status == 0)
    }

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = URL(filePath: CommandRunner.policiesFolder).deletingLastPathComponent()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
