import Foundation
import Testing

/// The same commands on the data folder and through a running server (`--server`, `MEMVAULT_API_KEY`): one code
/// path, two transports, the same answers.
@Suite("memvault --server")
struct ServerTransportTests {
    /// `memvault serve` on a free port of the runner's data folder, until `body` returns.
    static func withServe(_ cli: CommandRunner, _ body: (String) throws -> Void) throws {
        let (server, text) = try cli.startServer()
        defer { CommandRunner.stop(server) }
        let address = try #require(text.firstMatch(of: /(http:\/\/127\.0\.0\.1:\d+)\n/).map { String($0.1) })
        try body(address)
    }

    @Test("subjects, cubes, memories, search, consent and holds answer alike on the folder and through the server")
    func sameAnswers() throws {
        let (folder, local) = try CommandRunner.installationWithTenant()
        _ = folder
        let token = try local.run(["credential", "create", "--tenant", "acme", "--as", "application", "--json"])
            .string("token")
        let officer = try local.run([
            "credential", "create", "--tenant", "acme", "--as", "data-protection-officer", "--json",
        ]).string("token")
        try Self.withServe(local) { address in
            var remote = local
            remote.environment = ["MEMVAULT_SERVER": address, "MEMVAULT_API_KEY": token]

            let subject = try remote.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"])
                .string("id")
            #expect(
                try local.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"])
                    .string("id") == subject)
            let cube = try remote.run([
                "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "chat", "--category",
                "conversation", "--json",
            ]).string("id")
            let memory = try remote.run([
                "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "prefers green tea", "--tag", "drinks",
                "--json",
            ]).string("id")
            let imported = try remote.run(
                ["memory", "import", "--tenant", "acme", "--cube", cube, "--json"],
                input: Data("{\"text\": \"lives in Lisbon\"}\n{\"text\": \"cycles to work\"}\n".utf8))
            #expect(imported.status == 0, "\(imported.standardError)")
            _ = try remote.run([
                "memory", "update", "--tenant", "acme", memory, "--text", "prefers oolong tea", "--json",
            ])

            // The same JSON either way: the server's answers decode into the library's values.
            for command in [
                ["memory", "get", "--tenant", "acme", memory, "--json"],
                ["memory", "history", "--tenant", "acme", memory, "--json"],
                ["memory", "list", "--tenant", "acme", "--cube", cube, "--json"],
                ["memory", "list", "--tenant", "acme", "--subject", subject, "--json"],
                ["cube", "list", "--tenant", "acme", "--subject", subject, "--json"],
            ] {
                let viaServer = try remote.run(command)
                let onFolder = try local.run(command)
                #expect(
                    viaServer.status == 0 && viaServer.standardOutput == onFolder.standardOutput,
                    "\(command)\n\(viaServer.standardOutput)\n\(onFolder.standardOutput)")
            }
            let found = try remote.run([
                "search", "--tenant", "acme", "--subject", subject, "--query", "oolong", "--mode", "lexical", "--json",
            ]).json()
            #expect((found["hits"] as? [[String: Any]])?.count == 1, "\(found)")

            // Consent through the server, refused search before it; the text output too.
            var personalisation = remote
            personalisation.context = ["--policies", CommandRunner.policiesFolder, "--purpose", "personalisation"]
            let personal = { (arguments: [String]) in try personalisation.run(arguments) }
            #expect(try personal(["search", "--tenant", "acme", "--subject", subject, "--query", "tea"]).status != 0)
            #expect(
                try personal([
                    "consent", "grant", "--tenant", "acme", "--subject", subject, "--for", "personalisation",
                ]).status == 0)
            let history = try personal(["consent", "list", "--tenant", "acme", "--subject", subject, "--json"])
            #expect(history.standardOutput.contains("\"given\""), "\(history.standardOutput)")

            // Errors come back as the server's problem, in the command line's format.
            let missing = try remote.run([
                "memory", "get", "--tenant", "acme", "mem_01M8SW2QQ3XNWXNS6GBFE186VE", "--json",
            ])
            #expect(missing.status != 0 && missing.standardOutput.contains("\"not_found\""))
            let otherTenant = try remote.run(["memory", "get", "--tenant", "globex", memory, "--json"])
            #expect(otherTenant.status != 0 && otherTenant.standardOutput.contains("not tenant 'globex'"))
            #expect(try remote.run(["memory", "get", "--tenant", "acme", memory, "--role", "auditor"]).status != 0)

            // Holds need the officer's credential; the application's is refused by the server.
            #expect(
                try remote.run(["hold", "set", "--tenant", "acme", "--cube", cube, "--reason", "case 3"]).status != 0)
            var dpo = remote
            dpo.environment["MEMVAULT_API_KEY"] = officer
            dpo.context = ["--policies", CommandRunner.policiesFolder, "--purpose", "data-subject-rights"]
            let hold = try dpo.run(["hold", "set", "--tenant", "acme", "--cube", cube, "--reason", "case 3", "--json"])
            #expect(hold.status == 0, "\(hold.standardOutput)")

            #expect(
                try remote.run(["memory", "delete", "--tenant", "acme", memory]).status != 0,
                "a held cube's memory is not deleted")
            let index = try remote.run(["index", "status", "--tenant", "acme"])
            #expect(index.status != 0 && index.standardError.contains("works on a data folder"))
            // A command that acts on a data folder only refuses while MEMVAULT_SERVER is set, never acts silently.
            let erase = try remote.run(["erase", "list", "--tenant", "acme"])
            #expect(
                erase.status != 0 && erase.standardError.contains("MEMVAULT_SERVER is set"), "\(erase.standardError)")
        }
    }
}
