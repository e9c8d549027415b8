import Foundation
import Testing

@Suite("memvault init, tenant and keys")
struct KeysCommandTests {
    let folder: TemporaryFolder
    let cli: CommandRunner

    init() throws {
        folder = try TemporaryFolder()
        cli = CommandRunner(dataFolder: folder.appending("data"))
    }

    @Test("init, tenant create, rotate, rewrap, retire and status, all as JSON")
    func lifecycle() throws {
        let initialised = try cli.run(["init", "--json"])
        #expect(initialised.status == 0, "\(initialised.standardError)")
        // The default master key lives outside the data folder, named after the installation.
        let initJSON = try initialised.json()
        let location = try #require(initJSON["masterKeyLocation"] as? String)
        let installation = try #require(initJSON["installation"] as? String)
        #expect(initJSON["masterKey"] as? String == "key file \(location)")
        #expect(
            location == "\(cli.keyFolder)/\(installation).key" && !location.hasPrefix(folder.appending("data") + "/"))
        #expect(initialised.standardOutput.contains("masterKeyLocation"))

        #expect(try cli.run(["tenant", "create", "acme", "--json"]).string("tenant") == "acme")
        #expect(try cli.run(["keys", "rotate", "--tenant", "acme", "--json"]).json()["primaryVersion"] as? Int == 2)

        let retireEarly = try cli.run(["keys", "retire", "--tenant", "acme", "--version", "1", "--json"])
        #expect(retireEarly.status != 0)
        let error = try #require(retireEarly.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "key_in_use")

        // The tenant's shared data key and its pseudonym key.
        #expect(try cli.run(["keys", "rewrap", "--tenant", "acme", "--json"]).json()["rewrapped"] as? Int == 2)
        #expect(try cli.run(["keys", "retire", "--tenant", "acme", "--version", "1", "--json"]).status == 0)

        let status = try cli.run(["keys", "status", "--json"]).json()
        let tenants = try #require(status["tenants"] as? [[String: Any]])
        #expect(tenants.count == 1)
        let versions = try #require(tenants[0]["tenantKeys"] as? [[String: Any]])
        #expect(versions.map { $0["state"] as? String } == ["retired", "primary"])
        let listed = try #require(try cli.run(["tenant", "list", "--json"]).json()["tenants"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["acme"] && listed.first?["policy"] as? String == "default")
        let quotas = try cli.run([
            "tenant", "set-quotas", "acme", "--memories", "1000", "--requests-per-second", "50", "--json",
        ])
        #expect((try quotas.json()["quotas"] as? [String: Any])?["maximumMemories"] as? Int == 1_000)
        let relisted = try #require(try cli.run(["tenant", "list", "--json"]).json()["tenants"] as? [[String: Any]])
        #expect((relisted.first?["quotas"] as? [String: Any])?["requestsPerSecond"] as? Int == 50)
        #expect(try cli.run(["tenant", "set-quotas", "acme", "--memories", "0"]).status != 0)
    }

    @Test("text output names versions and states")
    func textStatus() throws {
        try cli.run(["init"])
        try cli.run(["tenant", "create", "acme"])
        let status = try cli.run(["keys", "status"])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("tenant acme  (primary tenant key: version 1)"))
        #expect(status.standardOutput.contains("primary"))
    }

    @Test("a missing data folder, a loose key file and a wrong master key are clear errors with non-zero exit")
    func errors() throws {
        let missing = try cli.run(["keys", "status"])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("does not exist: run `memvault init"))

        let keyFile = try cli.run(["init", "--json"]).string("masterKeyLocation")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        let loose = try cli.run(["keys", "status", "--json"])
        #expect(loose.status != 0)
        #expect((try loose.json()["error"] as? [String: Any])?["code"] as? String == "master_key_unavailable")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)

        let otherKey = folder.appending("other.key")
        #expect(
            FileManager.default.createFile(
                atPath: otherKey, contents: Data((0..<32).map { UInt8($0) }), attributes: [.posixPermissions: 0o600]))
        let wrong = try cli.run(["keys", "status", "--key-file", otherKey])
        #expect(wrong.status != 0)
        #expect(wrong.standardError.contains("authentication failed"))

        let again = try cli.run(["init"])
        #expect(again.status != 0 && again.standardError.contains("already a MemVault data folder"))

        let badTenant = try cli.run(["tenant", "create", "Not Valid"])
        #expect(badTenant.status != 0 && badTenant.standardError.contains("invalid tenant id"))
        let unknown = try cli.run(["keys", "rotate", "--tenant", "nobody"])
        #expect(unknown.status != 0 && unknown.standardError.contains("unknown tenant 'nobody'"))
    }

    @Test("the master key can come from MEMVAULT_MASTER_KEY; then no key file is written")
    func environmentKey() throws {
        var cli = self.cli
        cli.environment["MEMVAULT_MASTER_KEY"] = String(repeating: "0f", count: 32)
        #expect(
            try cli.run(["init", "--json"]).json()["masterKey"] as? String == "environment variable MEMVAULT_MASTER_KEY"
        )
        #expect(!FileManager.default.fileExists(atPath: folder.appending("data/master.key")))
        #expect(try cli.run(["tenant", "create", "acme"]).status == 0)
        cli.environment["MEMVAULT_MASTER_KEY"] = String(repeating: "0e", count: 32)
        #expect(try cli.run(["keys", "status"]).standardError.contains("authentication failed"))
    }
}
