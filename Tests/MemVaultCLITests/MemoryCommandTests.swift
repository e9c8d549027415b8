import Foundation
import Testing

@Suite("memvault subject, cube and memory")
struct MemoryCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    @Test("subject, cube and the memory lifecycle, with content from an argument, a file and stdin")
    func lifecycle() throws {
        let subject = try cli.run(
            ["subject", "resolve", "--tenant", "acme", "--json"], input: Data("alice@example.com\n".utf8)
        )
        .string("id")
        #expect(
            try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice@example.com", "--json"])
                .string("id") == subject)
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "Alice", "--category", "profile",
            "--json",
        ]).string("id")

        let added = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "likes green tea", "--tag", "drinks",
            "--type", "preference", "--occurred-at", "2026-11-01T10:00:00Z", "--attribute", "lang=en", "--json",
        ])
        let memory = try added.string("id")
        let addedJSON = try added.json()
        #expect(addedJSON["category"] as? String == "profile" && addedJSON["type"] as? String == "preference")
        #expect(addedJSON["occurredAt"] as? String == "2026-11-01T10:00:00.000Z")

        let file = folder.appending("note.txt")
        try "from a file".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--file", file, "--json"])
            .string("id")
        let fromStdin = try cli.run(
            [
                "memory", "add", "--tenant", "acme", "--cube", cube, "--stdin", "--media-type", "application/x-kv",
                "--json",
            ],
            input: Data([0, 1, 2, 255]))
        #expect((try fromStdin.json()["content"] as? [String: Any])?["base64"] as? String == "AAEC/w==")

        let updated = try cli.run([
            "memory", "update", "--tenant", "acme", memory, "--text", "prefers oolong", "--json",
        ]).json()
        #expect(updated["version"] as? Int == 2 && updated["supersedes"] as? Int == 1)
        let history = try #require(
            try cli.run(["memory", "history", "--tenant", "acme", memory, "--json"]).json()["versions"]
                as? [[String: Any]])
        #expect(
            history.map { ($0["content"] as? [String: Any])?["text"] as? String } == [
                "likes green tea", "prefers oolong",
            ])
        let first = try cli.run(["memory", "get", "--tenant", "acme", memory, "--version", "1", "--json"]).json()
        #expect((first["content"] as? [String: Any])?["text"] as? String == "likes green tea")

        #expect(
            try cli.run(["memory", "archive", "--tenant", "acme", fromFile, "--json"]).string("status") == "archived")
        let listed = try #require(
            try cli.run(["memory", "list", "--tenant", "acme", "--cube", cube, "--json"]).json()["items"]
                as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["id"] as? String }) == [memory, try fromStdin.string("id")])
        let bySubject = try #require(
            try cli.run(["memory", "list", "--tenant", "acme", "--subject", subject, "--status", "archived", "--json"])
                .json()["items"] as? [[String: Any]])
        #expect(bySubject.compactMap { $0["id"] as? String } == [fromFile])

        #expect(try cli.run(["memory", "delete", "--tenant", "acme", memory]).status == 0)
        let gone = try cli.run(["memory", "get", "--tenant", "acme", memory, "--json"])
        #expect(gone.status != 0)
        #expect((try gone.json()["error"] as? [String: Any])?["code"] as? String == "not_found")
    }

    @Test("bad input is a clear error with a non-zero exit")
    func errors() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        let invalidUTF8 = try cli.run(
            ["memory", "add", "--tenant", "acme", "--cube", cube, "--stdin"], input: Data([0xFF, 0xFE]))
        #expect(invalidUTF8.status != 0 && invalidUTF8.standardError.contains("not valid UTF-8"))
        let noContent = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube])
        #expect(noContent.status != 0 && noContent.standardError.contains("--text, --file or --stdin"))
        let badID = try cli.run(["memory", "get", "--tenant", "acme", "mem_nope"])
        #expect(badID.status != 0 && badID.standardError.contains("invalid memory id"))
        let unknownCube = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", "cube_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--text", "x",
        ])
        #expect(unknownCube.status != 0 && unknownCube.standardError.contains("does not exist"))
        let unknownTenant = try cli.run(["memory", "list", "--tenant", "globex", "--cube", cube])
        #expect(unknownTenant.status != 0 && unknownTenant.standardError.contains("unknown tenant 'globex'"))
        let twoOwners = try cli.run([
            "cube", "create", "--tenant", "acme", "--shared", "--subject", "sub_x", "--name", "x",
        ])
        #expect(twoOwners.status != 0)
        let badDate = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "x", "--occurred-at", "yesterday",
        ])
        #expect(badDate.status != 0 && badDate.standardError.contains("ISO 8601"))
        var noPurpose = cli
        noPurpose.context = ["--policies", CommandRunner.policiesFolder]
        let denied = try noPurpose.run(["memory", "list", "--tenant", "acme", "--cube", cube])
        // A request without a purpose is refused before anything is decided or recorded, naming the choices.
        #expect(denied.status != 0 && denied.standardError.contains("this request must declare a purpose"))
        #expect(denied.standardError.contains("one of data-subject-rights, personalisation, safety, service-delivery"))
        let noConfirm = try cli.run(["tenant", "delete", "acme"])
        #expect(noConfirm.status != 0 && noConfirm.standardError.contains("--yes"))
    }

    @Test("import acknowledges each line, reports bad lines without their content, and sums up")
    func importLines() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        let input = """
            {"text": "first", "tags": ["a"]}
            {"text": "secret-looking garbage
            {"base64": "AAEC", "mediaType": "application/x-kv"}
            {"text": ""}

            """
        let outcome = try cli.run(
            ["memory", "import", "--tenant", "acme", "--cube", cube, "--json"], input: Data(input.utf8))
        #expect(outcome.status != 0)
        let lines = outcome.standardOutput.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let acknowledgements = lines.compactMap { $0 }.filter { $0["line"] != nil }
        #expect(Set(acknowledgements.compactMap { $0["line"] as? Int }) == [1, 2, 3, 4])
        #expect(acknowledgements.filter { $0["id"] != nil }.count == 2)
        #expect(!outcome.standardOutput.contains("secret-looking"))
        #expect(lines.last??["imported"] as? Int == 2 && lines.last??["failed"] as? Int == 2)
    }

    @Test("argument errors honour --json, never echo sealed values; help lists each command's own options")
    func commandLineContract() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        for arguments in [
            ["memory", "get", "--tenant", "acme", "--json"],
            ["memory", "list", "--tenant", "acme", "--cube", cube, "--no-such-option", "--json"],
            ["keys", "status", "--json", "--log-level", "loud"],
        ] {
            let outcome = try cli.run(arguments)
            #expect(outcome.status != 0)
            let error = try #require(try outcome.json()["error"] as? [String: Any], "\(arguments)")
            #expect(error["code"] as? String == "invalid_argument")
            #expect(!(error["message"] as? String ?? "").isEmpty)
        }
        let attribute = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "x", "--attribute", "diagnosis-asthma",
            "--json",
        ])
        #expect(attribute.status != 0 && attribute.standardOutput.contains("key=value"))
        #expect(!attribute.standardOutput.contains("asthma") && !attribute.standardError.contains("asthma"))
        let blob = cli.dataFolder + ".bin"
        try Data([1, 2, 3]).write(to: URL(filePath: blob))
        let mediaType = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--file", blob, "--media-type", "asthma/x y",
        ])
        #expect(mediaType.status != 0 && !mediaType.standardError.contains("asthma"))

        // Each command's help lists the options that apply to it, and no others.
        func help(_ command: [String]) throws -> String {
            try cli.run(command + ["--help"], withData: false).standardOutput
        }
        let memoryGet = try help(["memory", "get"])
        #expect(["--purpose", "--role", "--tenant", "--version", "--json"].allSatisfy(memoryGet.contains))
        let keysStatus = try help(["keys", "status"])
        #expect(keysStatus.contains("--json") && !keysStatus.contains("--purpose"))
        let initHelp = try help(["init"])
        #expect(!initHelp.contains("--role") && !initHelp.contains("--purpose") && !initHelp.contains("--synchronous"))
        let auditLog = try help(["audit", "log"])
        #expect(auditLog.contains("--installation") && auditLog.contains("--external-id"))
    }

    @Test("import without --json prints errors and a summary as text; progress goes to standard error")
    func importText() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        let input = (0..<30).map { #"{"text": "fact \#($0)"}"# } + [#"{"text": "private garbage"#]
        let outcome = try cli.run(
            ["memory", "import", "--tenant", "acme", "--cube", cube, "--batch-size", "8"],
            input: Data((input.joined(separator: "\n") + "\n").utf8))
        #expect(outcome.status != 0)
        #expect(!outcome.standardOutput.contains("{") && !outcome.standardOutput.contains("garbage"))
        #expect(outcome.standardOutput.contains("line 31: error"), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("Imported 30 memories; 1 line failed."))
        let listed = try cli.run(["memory", "list", "--tenant", "acme", "--cube", cube, "--limit", "100", "--json"])
        #expect((try listed.json()["items"] as? [Any])?.count == 30)
        // Every command closes cleanly: no write-ahead log or shared-memory file is left in the data folder.
        let leftovers = FileManager.default.enumerator(atPath: cli.dataFolder)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") }
        #expect(leftovers == [])
    }
}
