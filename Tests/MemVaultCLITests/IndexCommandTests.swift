import Foundation
import GRDB
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The local embedder from the command line: the model in `Models/` (`./scripts/fetch-model`, which
/// `./scripts/test` runs first).
@Suite("memvault index and hybrid search")
struct IndexCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    /// A subject's cube embedded by the local model.
    func embeddedCube(wrapper: [String] = []) throws -> (subject: String, cube: String) {
        let subject = try cli.run(
            ["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"], wrapper: wrapper
        ).string("id")
        let cube = try cli.run(
            [
                "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "chat", "--category",
                "conversation", "--embedder", "all-MiniLM-L6-v2", "--json",
            ], wrapper: wrapper
        ).string("id")
        return (subject, cube)
    }

    static func ids(_ outcome: CommandRunner.Outcome) throws -> [String] {
        try #require(outcome.json()["hits"] as? [[String: Any]]).compactMap {
            ($0["memory"] as? [String: Any])?["id"] as? String
        }
    }

    @Test("adds wait for the indexer; index run embeds them; search is hybrid and finds by meaning; no plaintext")
    func endToEnd() throws {
        let (subject, cube) = try embeddedCube()
        let described = try cli.run(["cube", "get", "--tenant", "acme", cube, "--json"]).json()
        #expect(described["embedder"] as? String == "all-MiniLM-L6-v2")
        #expect(described["embeddingDimension"] as? Int == 384)
        let texts = [
            "We drank green tea on a terrace in Lisbon", "My dog loves long walks by the river",
            "The jazz concert was far too loud", "I am allergic to peanuts",
        ]
        var ids: [String] = []
        for text in texts {
            ids.append(
                try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", text, "--json"])
                    .string("id"))
        }
        let status = try cli.run(["index", "status", "--tenant", "acme", "--json"])
        let backlog = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])?.first)
        #expect(backlog["awaiting"] as? Int == 4 && backlog["cube"] as? String == cube)

        // Before the indexer runs, search says what waits and still finds by words.
        let early = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "tea", "--json"])
        #expect(try early.json()["awaitingEmbedding"] as? Int == 4)
        #expect(try Self.ids(early) == [ids[0]])

        let run = try cli.run(["index", "run", "--tenant", "acme", "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("4 of 4 embedded"), "progress is shown: \(run.standardError)")
        let after = try cli.run(["index", "status", "--tenant", "acme"])
        #expect(after.standardOutput.contains("awaiting 0"))

        // No word in common with what it finds: only the vectors can.
        for (query, expected) in [("which beverage did we have", 0), ("pets", 1), ("music", 2), ("food allergy", 3)] {
            let found = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", query, "--json"])
            #expect(try found.json()["mode"] as? String == "hybrid")
            #expect(try Self.ids(found).first == ids[expected], "\(query)")
        }
        let text = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "pets"])
        #expect(text.standardOutput.hasPrefix("hybrid search"))

        // Without the model, search falls back to words and says why.
        let missing = CommandRunner(
            dataFolder: cli.dataFolder, environment: ["MEMVAULT_MODELS": folder.appending("no-models")])
        let lexical = try missing.run(["search", "--tenant", "acme", "--subject", subject, "--query", "tea", "--json"])
        #expect(try lexical.json()["mode"] as? String == "lexical")
        #expect(lexical.standardError.contains("./scripts/fetch-model"))
        let required = try missing.run(["index", "run", "--tenant", "acme", "--json"])
        #expect(required.status == 0, "nothing waits, so nothing needs the model")

        // Neither the texts nor the embeddings' plaintext are in any file of the data folder.
        for file in try FileManager.default.subpathsOfDirectory(atPath: cli.dataFolder) {
            guard let data = FileManager.default.contents(atPath: cli.dataFolder + "/" + file) else { continue }
            for marker in ["green tea", "peanuts", "jazz concert"] {
                #expect(data.range(of: Data(marker.utf8)) == nil, "\(marker) in \(file)")
            }
        }
    }

    @Test("index run killed mid-way resumes where it was: every memory embedded once, the log intact")
    func resumesAfterCrash() async throws {
        let (_, cube) = try embeddedCube()
        let lines = (1...300).map { #"{"text": "note number \#($0) about the weather and the garden"}"# }
        let imported = try cli.run(
            ["memory", "import", "--tenant", "acme", "--cube", cube],
            input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(imported.status == 0, "\(imported.standardError)")

        // Killed as soon as it reports its first batch.
        let indexer = try cli.process(["index", "run", "--tenant", "acme", "--batch", "20"])
        let errors = Pipe()
        indexer.standardError = errors
        indexer.standardOutput = FileHandle.nullDevice
        let seen = Mutex(Data())
        let killed = Mutex(false)
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            let progressed = seen.withLock { seen in
                seen.append(data)
                return String(decoding: seen, as: UTF8.self).contains(" embedded")
            }
            if progressed, !killed.withLock({ $0 }) {
                killed.withLock { $0 = true }
                kill(indexer.processIdentifier, SIGKILL)
            }
        }
        try indexer.run()
        let deadline = Date.now.addingTimeInterval(120)
        while indexer.isRunning && Date.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        errors.fileHandleForReading.readabilityHandler = nil
        #expect(indexer.terminationReason == .uncaughtSignal, "the indexer finished before it could be killed")

        let waiting = try cli.run(["index", "status", "--tenant", "acme", "--json"])
        let awaiting = try #require(
            (try JSONSerialization.jsonObject(with: Data(waiting.standardOutput.utf8)) as? [[String: Any]])?
                .first?["awaiting"] as? Int)
        #expect(awaiting > 0 && awaiting < 300, "\(awaiting) left after the kill")

        let resumed = try cli.run(["index", "run", "--tenant", "acme", "--batch", "100", "--json"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let outcome = try #require(
            (try JSONSerialization.jsonObject(with: Data(resumed.standardOutput.utf8)) as? [[String: Any]])?.first)
        #expect(outcome["embedded"] as? Int == awaiting && outcome["awaiting"] as? Int == 0)

        let database = try DatabaseQueue(path: folder.appending("data/tenants/acme.sqlite"))
        let (vectors, distinct, integrity) = try await database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM memory_vectors") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(DISTINCT memory_id) FROM memory_vectors") ?? 0,
                try String.fetchAll(db, sql: "PRAGMA integrity_check")
            )
        }
        try database.close()
        #expect(vectors == 300 && distinct == 300 && integrity == ["ok"])
        let verified = try cli.run(["audit", "verify", "--tenant", "acme", "--role", "auditor", "--json"])
        #expect(verified.status == 0, "\(verified.standardOutput)")
    }

    @Test("index run --follow embeds what other processes add, within its interval, and stops cleanly on SIGTERM")
    func follows() async throws {
        let (_, cube) = try embeddedCube()
        let follower = try cli.process(["index", "run", "--tenant", "acme", "--follow", "--interval", "0.2"])
        follower.standardOutput = FileHandle.nullDevice
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer { if follower.isRunning { kill(follower.processIdentifier, SIGKILL) } }
        func awaiting() throws -> Int? {
            let status = try cli.run(["index", "status", "--tenant", "acme", "--json"])
            return (try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])?
                .first?["awaiting"] as? Int
        }
        for round in 1...2 {
            for text in ["a note about the sea \(round)", "another about the mountains \(round)"] {
                let added = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", text])
                #expect(added.status == 0, "\(added.standardError)")
            }
            let deadline = Date.now.addingTimeInterval(90)
            while try awaiting() != 0, Date.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            #expect(try awaiting() == 0, "round \(round): the follower did not embed what was added")
        }
        #expect(follower.isRunning)
        kill(follower.processIdentifier, SIGTERM)
        let deadline = Date.now.addingTimeInterval(30)
        while follower.isRunning, Date.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!follower.isRunning && follower.terminationReason == .exit && follower.terminationStatus == 0)
        let verified = try cli.run(["audit", "verify", "--tenant", "acme", "--role", "auditor"])
        #expect(verified.status == 0, "\(verified.standardOutput)")
    }

    @Test("ingest, embedding and search need no network: they run in a network namespace with only loopback")
    func noNetwork() throws {
        let isolated = ["/usr/bin/unshare", "--map-root-user", "--net"]
        let interfaces = Process()
        interfaces.executableURL = URL(filePath: isolated[0])
        interfaces.arguments = Array(isolated.dropFirst()) + ["cat", "/proc/net/dev"]
        let output = Pipe()
        interfaces.standardOutput = output
        try interfaces.run()
        let listing = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        interfaces.waitUntilExit()
        try #require(
            interfaces.terminationStatus == 0,
            """
            unshare could not make a network namespace (CI runs as root; elsewhere unprivileged user namespaces \
            must be enabled)
            """)
        let names = listing.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(names == ["lo"], "the namespace has only loopback: \(names)")

        let (subject, cube) = try embeddedCube(wrapper: isolated)
        let added = try cli.run(
            ["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "Our cat sleeps on the sofa", "--json"],
            wrapper: isolated)
        #expect(added.status == 0, "\(added.standardOutput) \(added.standardError)")
        let run = try cli.run(["index", "run", "--tenant", "acme"], wrapper: isolated)
        #expect(run.status == 0, "\(run.standardError)")
        let found = try cli.run(
            ["search", "--tenant", "acme", "--subject", subject, "--query", "where does the pet rest", "--json"],
            wrapper: isolated)
        #expect(found.status == 0)
        #expect(try found.json()["mode"] as? String == "hybrid")
        #expect(try Self.ids(found) == [try added.string("id")])
    }
}
