import Foundation
import Testing

@Suite("memvault credential")
struct CredentialCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        (folder, cli) = try CommandRunner.installationWithTenant()
    }

    @Test("create prints the token once in JSON; list never shows it; revoke; bad input is a clear error")
    func lifecycle() throws {
        let created = try cli.run([
            "credential", "create", "--tenant", "acme", "--as", "application", "--purpose-limit", "personalisation",
            "--json",
        ])
        #expect(created.status == 0, "\(created.standardOutput)\(created.standardError)")
        let json = try created.json()
        let token = try #require(json["token"] as? String)
        let credential = try #require(json["credential"] as? [String: Any])
        let id = try #require(credential["id"] as? String)
        #expect(token.hasPrefix("mvk_\(id).") && credential["role"] as? String == "application")
        #expect(credential["purposes"] as? [String] == ["personalisation"])

        let listed = try cli.run(["credential", "list", "--tenant", "acme", "--json"])
        #expect(!listed.standardOutput.contains(String(token.split(separator: ".")[1])))
        #expect((try listed.json()["credentials"] as? [[String: Any]])?.first?["id"] as? String == id)
        let text = try cli.run(["credential", "list"])
        #expect(text.standardOutput.contains("\(id)  tenant acme  application  personalisation  active"))

        #expect(try cli.run(["credential", "revoke", id]).status == 0)
        #expect(try cli.run(["credential", "list"]).standardOutput.contains("revoked"))
        let again = try cli.run(["credential", "revoke", id, "--json"])
        #expect(again.status != 0 && again.standardOutput.contains("not_found"))
        let both = try cli.run(["credential", "create", "--tenant", "acme", "--installation", "--as", "auditor"])
        #expect(both.status != 0 && both.standardError.contains("exactly one of --tenant or --installation"))
        let denied = try cli.run([
            "credential", "create", "--installation", "--as", "auditor", "--role", "auditor", "--json",
        ])
        #expect(denied.status != 0 && denied.standardOutput.contains("denied"))
    }
}
