import Foundation
import Testing

@Suite("memvault policy, consent and hold")
struct GovernanceCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    /// Runs a command that takes no data folder.
    private func plain(_ arguments: [String]) throws -> CommandRunner.Outcome {
        try cli.run(arguments, withData: false)
    }

    @Test("consent gates personalisation, withdrawal is immediate, and the denial says why")
    func consentFlow() throws {
        var personal = cli
        personal.context = ["--policies", CommandRunner.policiesFolder, "--purpose", "personalisation"]
        let subject = try personal.run(["subject", "resolve", "--tenant", "acme", "--external-id", "alice", "--json"])
            .string("id")
        let refused = try personal.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "prefs", "--category", "preferences",
        ])
        #expect(refused.status != 0 && refused.standardError.contains("memvault:consent"))

        let granted = try personal.run([
            "consent", "grant", "--tenant", "acme", "--subject", subject, "--for", "personalisation",
            "--evidence", "signup form", "--json",
        ])
        #expect(try granted.string("state") == "given")
        let cube = try personal.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "prefs", "--category", "preferences",
            "--json",
        ]).string("id")
        let memory = try personal.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "jazz", "--json"])
            .string("id")
        #expect(try personal.run(["memory", "get", "--tenant", "acme", memory]).status == 0)

        try personal.run(["consent", "withdraw", "--tenant", "acme", "--subject", subject, "--for", "personalisation"])
        let denied = try personal.run(["memory", "get", "--tenant", "acme", memory, "--json"])
        #expect(denied.status != 0)
        let error = try #require(try denied.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "denied")
        #expect((error["message"] as? String)?.contains("consent is withdrawn") == true)

        let history = try personal.run(["consent", "list", "--tenant", "acme", "--subject", subject, "--json"])
        let states = (try history.json()["history"] as? [[String: Any]])?.compactMap { $0["state"] as? String }
        #expect(states == ["given", "withdrawn"])
    }

    @Test("holds need an administrator or the data-protection officer, and block deletion")
    func holds() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"]).string(
            "id")
        let memory = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "x", "--json"])
            .string("id")
        let notAllowed = try cli.run(["hold", "set", "--tenant", "acme", "--cube", cube, "--reason", "case 1"])
        #expect(notAllowed.status != 0 && notAllowed.standardError.contains("may not set legal holds"))
        let hold = try cli.run([
            "hold", "set", "--tenant", "acme", "--cube", cube, "--reason", "case 1", "--role", "administrator",
            "--json",
        ]).string("id")
        let blocked = try cli.run(["memory", "delete", "--tenant", "acme", memory])
        #expect(blocked.status != 0 && blocked.standardError.contains("memvault:legal-hold"))
        let listed = try cli.run(["hold", "list", "--tenant", "acme", "--role", "administrator", "--json"])
        #expect((try listed.json()["holds"] as? [[String: Any]])?.first?["reason"] as? String == "case 1")
        try cli.run(["hold", "clear", "--tenant", "acme", hold, "--role", "administrator"])
        #expect(try cli.run(["memory", "delete", "--tenant", "acme", memory]).status == 0)
    }

    @Test("policy lint, explain, test and records")
    func policyTools() throws {
        let policies = CommandRunner.policiesFolder
        let lint = try plain(["policy", "lint", "\(policies)/default.yaml", "\(policies)/healthcare.yaml", "--json"])
        #expect(lint.status == 0)

        let broken = folder.appending("broken.yaml")
        try "policy: broken\nversion: 1\npurposes:\n  x:\n    legal_bases: consent\n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let badLint = try plain(["policy", "lint", broken])
        #expect(badLint.status != 0)
        #expect(badLint.standardOutput.contains("broken.yaml:5:5: unknown key 'legal_bases'"))

        let explain = try plain([
            "policy", "explain", "--policy", "\(policies)/default.yaml", "--role", "application", "--action", "read",
            "--purpose", "personalisation", "--category", "preferences", "--consent", "withdrawn", "--json",
        ])
        let decision = try explain.json()
        #expect(decision["effect"] as? String == "deny" && decision["ruleIDs"] as? [String] == ["memvault:consent"])

        let test = try plain(["policy", "test", "\(policies)/scenarios/default.yaml"])
        #expect(test.status == 0 && test.standardOutput.contains(" passed, 0 failed"))

        let records = try plain(["policy", "records", "\(policies)/default.yaml"])
        #expect(records.standardOutput.contains("# Record of processing activities (GDPR Art. 30)"))
        #expect(records.standardOutput.contains("| personalisation | consent (Art. 6(1)(a))"))
        let recordsJSON = try plain(["policy", "records", "\(policies)/default.yaml", "--json"]).json()
        #expect((recordsJSON["activities"] as? [[String: Any]])?.count == 4)
    }

    @Test("retention sweep: a dry run reports per category in JSON, as administrator only")
    func retentionSweep() throws {
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "n", "--json"]).string("id")
        try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "recent", "--json"])
        let dryRun = try cli.run([
            "retention", "sweep", "--tenant", "acme", "--dry-run", "--role", "administrator", "--json",
        ])
        #expect(dryRun.status == 0, "\(dryRun.standardOutput) \(dryRun.standardError)")
        let json = try dryRun.json()
        #expect(json["dryRun"] as? Bool == true)
        let categories = try #require(json["categories"] as? [[String: Any]])
        #expect(categories.contains { $0["category"] as? String == "general" && $0["purged"] as? Int == 0 })
        let denied = try cli.run(["retention", "sweep", "--tenant", "acme", "--json"])
        #expect(denied.status != 0)
        #expect((try denied.json()["error"] as? [String: String])?["code"] == "denied")
    }
}
