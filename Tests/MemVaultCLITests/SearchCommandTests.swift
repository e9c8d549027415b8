import Foundation
import Testing

@Suite("memvault search")
struct SearchCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    @Test("finds by words (stemmed, folded), filters by tag and type, prints JSON, and records ids but no query")
    func search() throws {
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"])
            .string("id")
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "notes", "--category", "profile",
            "--json",
        ]).string("id")
        let plainCube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "raw", "--category", "profile",
            "--no-stemming", "--no-stop-words", "--json",
        ]).json()
        #expect((plainCube["analysis"] as? [String: Bool]) == ["stemming": false, "stopWords": false, "indexed": true])
        func add(_ text: String, _ extra: [String] = []) throws -> String {
            try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", text, "--json"] + extra)
                .string("id")
        }
        let hike = try add("Went HIKING in the Alps", ["--tag", "Travel", "--type", "episodic"])
        let tea = try add("Likes green tea", ["--tag", "drinks"])
        _ = try add("Works as a nurse")

        let found = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "hikes alps", "--json"])
        let hits = try #require(found.json()["hits"] as? [[String: Any]])
        #expect(hits.compactMap { ($0["memory"] as? [String: Any])?["id"] as? String } == [hike])
        #expect((hits.first?["score"] as? Double ?? 0) > 0)
        #expect(hits.first?["matched"] as? [String] == ["lexical"])

        let tagged = try cli.run([
            "search", "--tenant", "acme", "--cube", cube, "--query", "green tea alps", "--tag", "DRINKS", "--json",
        ]).json()
        #expect(
            ((tagged["hits"] as? [[String: Any]]) ?? []).compactMap {
                ($0["memory"] as? [String: Any])?["id"] as? String
            } == [tea])
        let typed = try cli.run([
            "search", "--tenant", "acme", "--cube", cube, "--query", "green tea alps", "--type", "episodic", "--json",
        ]).json()
        #expect(((typed["hits"] as? [[String: Any]]) ?? []).count == 1)

        let text = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "nurse"])
        #expect(text.status == 0 && text.standardOutput.contains("Works as a nurse"))
        let none = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "zebra"])
        #expect(none.standardOutput.contains("no matches"))

        let audit = try cli.run([
            "audit", "log", "--tenant", "acme", "--action", "search", "--json", "--role", "auditor",
        ])
        #expect(audit.status == 0)
        #expect(audit.standardOutput.contains(hike))
        #expect(!audit.standardOutput.localizedCaseInsensitiveContains("alps"))
        #expect(!audit.standardOutput.localizedCaseInsensitiveContains("zebra"))
    }

    @Test("embeddings from files: vector and hybrid search, and a wrong dimension is a clear error")
    func vectors() throws {
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "carol", "--json"])
            .string("id")
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "v", "--category", "profile",
            "--embedding-dimension", "3", "--json",
        ]).string("id")
        func file(_ name: String, _ json: String) throws -> String {
            let path = folder.appending(name)
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let near = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "green tea", "--embedding",
            try file("a.json", "[1, 0, 0]"), "--json",
        ]).string("id")
        _ = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "black coffee", "--embedding",
            try file("b.json", "[0, 1, 0]"), "--json",
        ]).string("id")
        let query = try file("q.json", "[0.9, 0.1, 0]")
        let vector = try cli.run(["search", "--tenant", "acme", "--cube", cube, "--vector", query, "--json"]).json()
        let hits = try #require(vector["hits"] as? [[String: Any]])
        #expect((hits.first?["memory"] as? [String: Any])?["id"] as? String == near)
        #expect(hits.first?["matched"] as? [String] == ["vector"])
        let hybrid = try cli.run([
            "search", "--tenant", "acme", "--cube", cube, "--query", "coffee", "--vector", query, "--fusion", "rrf",
            "--json",
        ]).json()
        #expect(((hybrid["hits"] as? [[String: Any]]) ?? []).count == 2)
        let wrong = try cli.run([
            "search", "--tenant", "acme", "--cube", cube, "--vector", try file("w.json", "[1, 0]"), "--json",
        ])
        #expect(wrong.status != 0 && wrong.standardOutput.contains("has 2 dimensions"))
        let notJSON = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "x", "--embedding",
            try file("bad.json", "one, two"), "--json",
        ])
        #expect(notJSON.status != 0 && notJSON.standardOutput.contains("not a JSON array of numbers"))
    }

    @Test("a missing scope, an empty query and a bad k are errors, in JSON with --json")
    func errors() throws {
        let noScope = try cli.run(["search", "--tenant", "acme", "--query", "tea", "--json"])
        #expect(noScope.status != 0 && noScope.standardOutput.contains("exactly one scope"))
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "bob", "--json"])
            .string("id")
        let empty = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "  ", "--json"])
        let error = try empty.json()["error"] as? [String: String]
        #expect(empty.status != 0 && error?["code"] == "invalid_argument")
        let badK = try cli.run(["search", "--tenant", "acme", "--subject", subject, "--query", "tea", "--k", "0"])
        #expect(badK.status != 0 && badK.standardError.contains("k = 0"))
    }
}
