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
            // A command that acts on a data folder only refuses while a server is given, never acts silently.
            let index = try remote.run(["index", "status", "--tenant", "acme"])
            #expect(index.status != 0 && index.standardError.contains("works on a data folder"))
            let initialise = try remote.run(["init", "--json"])
            #expect(
                initialise.status != 0 && initialise.standardOutput.contains("MEMVAULT_SERVER is set"), "\(initialise)")
        }
    }

    @Test("search with filters, fusion and a caller's own vector answers alike on the folder and through the server")
    func filteredSearch() throws {
        let (folder, local) = try CommandRunner.installationWithTenant()
        let token = try local.run(["credential", "create", "--tenant", "acme", "--as", "application", "--json"])
            .string("token")
        let vector = { (name: String, values: [Double]) throws -> String in
            let path = folder.appending(name)
            try JSONSerialization.data(withJSONObject: values).write(to: URL(filePath: path))
            return path
        }
        try Self.withServe(local) { address in
            var remote = local
            remote.environment = ["MEMVAULT_SERVER": address, "MEMVAULT_API_KEY": token]
            let subject = try remote.run(["subject", "resolve", "--tenant", "acme", "--external-id", "carol", "--json"])
                .string("id")
            let cube = try remote.run([
                "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "notes", "--category",
                "conversation", "--embedding-dimension", "3", "--json",
            ]).string("id")
            let memories: [(text: String, type: String, occurred: String, embedding: [Double])] = [
                ("tea with Ana in Porto", "episodic", "2026-03-01T10:00:00Z", [1, 0, 0]),
                ("prefers tea without sugar", "preference", "2026-05-01T10:00:00Z", [0.9, 0.1, 0]),
                ("tea tasting course in Kyoto", "episodic", "2026-07-01T10:00:00Z", [0, 1, 0]),
                ("archived tea note", "episodic", "2026-08-01T10:00:00Z", [0, 0, 1]),
            ]
            var ids: [String] = []
            for (index, memory) in memories.enumerated() {
                ids.append(
                    try remote.run([
                        "memory", "add", "--tenant", "acme", "--cube", cube, "--text", memory.text, "--type",
                        memory.type,
                        "--occurred-at", memory.occurred, "--embedding", try vector("m\(index).json", memory.embedding),
                        "--json",
                    ]).string("id"))
            }
            #expect(try remote.run(["memory", "archive", "--tenant", "acme", ids[3]]).status == 0)
            let query = try vector("query.json", [1, 0, 0])
            let searches: [[String]] = [
                ["--query", "tea", "--type", "episodic", "--mode", "lexical"],
                [
                    "--query", "tea", "--occurred-from", "2026-04-01T00:00:00Z", "--occurred-until",
                    "2026-07-31T00:00:00Z",
                ],
                ["--query", "tea", "--status", "active", "--status", "archived", "--mode", "lexical"],
                ["--query", "tea", "--category", "conversation", "--mode", "lexical", "--k", "2"],
                ["--vector", query, "--mode", "vector"],
                ["--query", "tea Porto", "--vector", query, "--fusion", "rrf"],
                ["--query", "tea Porto", "--vector", query, "--vector-weight", "0.9"],
            ]
            var found: [Set<String>] = []
            for search in searches {
                let command = ["search", "--tenant", "acme", "--subject", subject, "--json"] + search
                try Self.expectSame(command, remote: remote, local: local)
                let hits = try remote.run(command).json()["hits"] as? [[String: Any]] ?? []
                found.append(Set(hits.compactMap { ($0["memory"] as? [String: Any])?["id"] as? String }))
            }
            // The filters were applied, not dropped: each search finds what it must and no more.
            #expect(found[0] == [ids[0], ids[2]])
            #expect(found[1] == [ids[1], ids[2]])
            #expect(found[2] == Set(ids))
            #expect(found[3].count == 2)
            #expect(found[4].contains(ids[0]) && !found[4].contains(ids[3]))
            let refused = try remote.run(["search", "--tenant", "acme", "--subject", subject, "--vector", query + "x"])
            #expect(refused.status != 0)
        }
    }

    /// Runs `command` through the server and on the folder; expects both to succeed with the same output.
    /// `localOptions` are what the folder needs and the credential gives the server (a role).
    static func expectSame(
        _ command: [String], remote: CommandRunner, local: CommandRunner, localOptions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let viaServer = try remote.run(command)
        let onFolder = try local.run(command + localOptions)
        #expect(viaServer.status == 0, "\(command): \(viaServer.standardError)", sourceLocation: sourceLocation)
        #expect(
            viaServer.standardOutput == onFolder.standardOutput,
            "\(command)\n\(viaServer.standardOutput)\n\(onFolder.standardOutput)", sourceLocation: sourceLocation)
    }

    @Test("tenants, credentials and keys answer alike on the folder and through the server, as the credential allows")
    func installationCommands() throws {
        let (folder, local) = try CommandRunner.installationWithTenant()
        _ = folder
        let administrator = try local.run([
            "credential", "create", "--installation", "--as", "administrator", "--json",
        ]).string("token")
        let tenantAdministrator = try local.run([
            "credential", "create", "--tenant", "acme", "--as", "administrator", "--json",
        ]).string("token")
        try Self.withServe(local) { address in
            var remote = local
            remote.environment = ["MEMVAULT_SERVER": address, "MEMVAULT_API_KEY": administrator]

            let created = try remote.run(["tenant", "create", "globex", "--json"])
            #expect(try created.status == 0 && created.json()["tenant"] as? String == "globex", "\(created)")
            try Self.expectSame(["tenant", "list", "--json"], remote: remote, local: local)
            try Self.expectSame(["tenant", "set-policy", "globex", "default", "--json"], remote: remote, local: local)
            try Self.expectSame(
                ["tenant", "set-quotas", "globex", "--memories", "10", "--json"], remote: remote, local: local)

            let issued = try remote.run(["credential", "create", "--tenant", "globex", "--as", "auditor", "--json"])
            let credential = try #require(try issued.json()["credential"] as? [String: Any])
            let id = try #require(credential["id"] as? String)
            #expect(try remote.run(["credential", "revoke", id, "--json"]).status == 0)
            try Self.expectSame(["credential", "list", "--tenant", "globex", "--json"], remote: remote, local: local)
            try Self.expectSame(["credential", "list", "--installation", "--json"], remote: remote, local: local)

            // Keys: rotate, rewrap and retire through the server; the folder sees the result.
            #expect(
                try remote.run(["keys", "rotate", "--tenant", "globex", "--json"]).json()["primaryVersion"] as? Int == 2
            )
            #expect(try remote.run(["keys", "rewrap", "--tenant", "globex", "--json"]).status == 0)
            #expect(try remote.run(["keys", "retire", "--tenant", "globex", "--version", "1", "--json"]).status == 0)
            let status = try remote.run(["keys", "status", "--tenant", "globex", "--json"]).json()
            let onFolder = try local.run(["keys", "status", "--tenant", "globex", "--json"]).json()
            #expect(NSDictionary(dictionary: status).isEqual(to: onFolder), "\(status)\n\(onFolder)")
            let versions = (onFolder["tenants"] as? [[String: Any]])?.first?["tenantKeys"] as? [[String: Any]]
            #expect(versions?.map { $0["state"] as? String } == ["retired", "primary"], "\(onFolder)")

            // A tenant's administrator: its own tenant's keys and credentials, never the installation's or another's.
            var tenantAdmin = remote
            tenantAdmin.environment["MEMVAULT_API_KEY"] = tenantAdministrator
            let own = try tenantAdmin.run(["keys", "status", "--json"]).json()
            #expect(own["masterKey"] == nil, "where the master key lives is not a tenant's business")
            #expect((own["tenants"] as? [[String: Any]])?.map { $0["tenant"] as? String } == ["acme"])
            let foreign = try tenantAdmin.run(["keys", "rotate", "--tenant", "globex", "--json"])
            #expect(foreign.status != 0 && foreign.standardOutput.contains("unknown_tenant"), "\(foreign)")
            #expect(try tenantAdmin.run(["tenant", "list"]).status != 0)
            #expect(try tenantAdmin.run(["credential", "list", "--tenant", "acme"]).status == 0)
            #expect(
                try remote.run(["tenant", "list", "--role", "auditor"]).status != 0, "the credential decides the role")

            #expect(try remote.run(["tenant", "delete", "globex", "--yes", "--json"]).status == 0)
            let tenants = try local.run(["tenant", "list", "--json"]).json()["tenants"] as? [[String: Any]]
            #expect(tenants?.map { $0["id"] as? String } == ["acme"])
        }
    }

    @Test("restrictions, erasure with its receipt, retention and the audit logs work through the server")
    func governanceCommands() throws {
        let (folder, local) = try CommandRunner.installationWithTenant()
        let token = { (arguments: [String]) in
            try local.run(["credential", "create"] + arguments + ["--json"]).string("token")
        }
        let application = try token(["--tenant", "acme", "--as", "application"])
        let officer = try token(["--tenant", "acme", "--as", "data-protection-officer"])
        let auditor = try token(["--tenant", "acme", "--as", "auditor"])
        let installationAuditor = try token(["--installation", "--as", "auditor"])
        try Self.withServe(local) { address in
            var app = local
            app.environment = ["MEMVAULT_SERVER": address, "MEMVAULT_API_KEY": application]
            let subject = try app.run(["subject", "resolve", "--tenant", "acme", "--external-id", "bob", "--json"])
                .string("id")
            let cube = try app.run([
                "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "chat", "--category",
                "conversation", "--json",
            ]).string("id")
            #expect(
                try app.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "likes chess"]).status == 0)

            var dpo = app
            dpo.environment["MEMVAULT_API_KEY"] = officer
            let restriction = try dpo.run([
                "restriction", "set", "--tenant", "acme", "--subject", subject, "--ground", "legal-claims", "--json",
            ]).string("id")
            try Self.expectSame(["restriction", "list", "--tenant", "acme", "--json"], remote: dpo, local: local)
            #expect(try dpo.run(["restriction", "lift", "--tenant", "acme", restriction, "--json"]).status == 0)
            try Self.expectSame(
                ["restriction", "list", "--tenant", "acme", "--all", "--json"], remote: dpo, local: local)
            #expect(try app.run(["restriction", "list", "--tenant", "acme"]).status != 0, "the application may not")

            try Self.expectSame(
                ["retention", "sweep", "--tenant", "acme", "--dry-run", "--json"], remote: dpo, local: local,
                localOptions: ["--role", "data-protection-officer"])

            let request = try dpo.run([
                "erase", "request", "--tenant", "acme", "--external-id", "bob", "--ground", "objection", "--json",
            ]).string("id")
            #expect(try dpo.run(["erase", "extend", "--tenant", "acme", request, "--json"]).status == 0)
            try Self.expectSame(["erase", "list", "--tenant", "acme", "--open", "--json"], remote: dpo, local: local)
            let run = try dpo.run(["erase", "run", "--tenant", "acme", "--json"])
            let ran = try #require((try run.json()["requests"] as? [[String: Any]])?.first, "\(run)")
            #expect(ran["id"] as? String == request && ran["state"] as? String == "completed", "\(ran)")
            #expect(run.standardError.contains("\(request): done"), "progress is shown: \(run.standardError)")
            try Self.expectSame(["erase", "status", "--tenant", "acme", request, "--json"], remote: dpo, local: local)
            try Self.expectSame(["erase", "receipt", "--tenant", "acme", request, "--json"], remote: dpo, local: local)
            let receipt = folder.appending("receipt.json")
            #expect(try dpo.run(["erase", "receipt", "--tenant", "acme", request, "--output", receipt]).status == 0)
            let verified = try dpo.run(["erase", "receipt", "--tenant", "acme", "--verify", receipt])
            #expect(verified.status == 0 && verified.standardOutput.contains("The receipt is valid."), "\(verified)")

            // The tenant's auditor reads, proves and verifies the tenant's log through the server.
            var audit = app
            audit.environment["MEMVAULT_API_KEY"] = auditor
            try Self.expectSame(
                ["audit", "log", "--tenant", "acme", "--action", "erase", "--json"], remote: audit, local: local)
            try Self.expectSame(["audit", "key", "--tenant", "acme", "--json"], remote: audit, local: local)
            let checkpoint = folder.appending("acme.checkpoint")
            #expect(try audit.run(["audit", "checkpoint", "--tenant", "acme", "--output", checkpoint]).status == 0)
            #expect(try audit.run(["audit", "prove", "--tenant", "acme", "--seq", "1", "--json"]).status == 0)
            let proof = try audit.run(["audit", "prove", "--tenant", "acme", "--from-checkpoint", checkpoint, "--json"])
            #expect(try proof.status == 0 && proof.json()["verified"] as? Bool == true, "\(proof)")
            let verification = try audit.run(["audit", "verify", "--checkpoint", checkpoint, "--json"]).json()
            #expect(verification["valid"] as? Bool == true, "\(verification)")
            #expect((verification["tenants"] as? [[String: Any]])?.map { $0["tenant"] as? String } == ["acme"])
            #expect(try local.run(["audit", "verify", "--checkpoint", checkpoint]).status == 0)
            let installationLog = try audit.run(["audit", "log", "--installation"])
            #expect(
                installationLog.status != 0 && installationLog.standardError.contains("not the installation"),
                "\(installationLog)")

            // The installation's auditor: the installation's log, not a tenant's.
            var installation = app
            installation.environment["MEMVAULT_API_KEY"] = installationAuditor
            let installationVerification = try installation.run(["audit", "verify", "--installation", "--json"]).json()
            #expect(installationVerification["valid"] as? Bool == true, "\(installationVerification)")
            let entries = try installation.run(["audit", "log", "--installation", "--action", "tenant", "--json"])
            #expect(entries.status == 0 && entries.standardOutput.contains("\"tenant\""), "\(entries)")
            #expect(try installation.run(["audit", "verify", "--tenant", "acme"]).status != 0)
        }
    }
}
