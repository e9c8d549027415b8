import Foundation
import Testing

/// `memvault keys recipient`, `export` and `import` between two installations, as an operator would run them.
@Suite("memvault export and import")
struct PortabilityCommandTests {
    /// Ana's cube in tenant acme, with consent to service delivery and one memory in two versions, "speaks
    /// Portuguese and Spanish" the current one.
    static func anaCube(in cli: CommandRunner) throws -> String {
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "ana", "--json"])
            .string("id")
        try cli.run(["consent", "grant", "--tenant", "acme", "--subject", subject, "--for", "service-delivery"])
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "Ana", "--category", "profile",
            "--json",
        ]).string("id")
        let added = try cli.run([
            "memory", "add", "--tenant", "acme", "--cube", cube, "--text", "speaks Portuguese", "--json",
        ]).string("id")
        let updated = try cli.run([
            "memory", "update", "--tenant", "acme", added, "--text", "speaks Portuguese and Spanish",
        ])
        #expect(updated.status == 0, "\(updated.standardError)")
        return cube
    }

    @Test("a cube sealed in one installation is imported in another, and a second import is refused")
    func bundleBetweenInstallations() throws {
        let (sourceFolder, source) = try CommandRunner.installationWithTenant()
        let (destinationFolder, destination) = try CommandRunner.installationWithTenant()
        defer { withExtendedLifetime(destinationFolder) {} }
        let cube = try Self.anaCube(in: source)

        let keys = try destination.run(["keys", "recipient", "--tenant", "acme", "--json"]).json()
        let recipient = try #require(keys["recipient"] as? String)
        let signer = try source.run(["keys", "recipient", "--tenant", "acme", "--json"]).string("signer")
        let file = sourceFolder.appending("ana.mvbundle")
        let exported = try source.run([
            "export", "--tenant", "acme", "--cube", cube, "--to", recipient, "--output", file,
            "--purpose", "service-delivery", "--json",
        ])
        #expect(exported.status == 0, "\(exported.standardOutput)\(exported.standardError)")
        let summary = try exported.json()
        #expect(summary["memories"] as? Int == 1 && summary["versions"] as? Int == 2)
        let bundle = try Data(contentsOf: URL(filePath: file))
        #expect(!String(decoding: bundle, as: UTF8.self).contains("Portuguese"))
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(
            try source.run([
                "export", "--tenant", "acme", "--cube", cube, "--to", recipient, "--output", file,
                "--purpose", "service-delivery",
            ]).status != 0)

        let imported = try destination.run([
            "import", "--tenant", "acme", "--from", "memvault", "--trusted-sender", signer, file,
            "--purpose", "service-delivery", "--json",
        ])
        #expect(imported.status == 0, "\(imported.standardOutput)\(imported.standardError)")
        let cubes = try #require(try imported.json()["imported"] as? [[String: Any]])
        #expect(cubes.first?["memories"] as? Int == 1 && cubes.first?["versions"] as? Int == 2)
        let newCube = try #require((cubes.first?["cube"] as? [String: Any])?["id"] as? String)
        let listed = try destination.run(["memory", "list", "--tenant", "acme", "--cube", newCube, "--json"]).json()
        let items = try #require(listed["items"] as? [[String: Any]])
        #expect(((items.first?["content"] as? [String: Any])?["text"] as? String) == "speaks Portuguese and Spanish")

        let again = try destination.run([
            "import", "--tenant", "acme", "--from", "memvault", file, "--purpose", "service-delivery", "--json",
        ])
        #expect(again.status != 0)
        let error = try #require(try again.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "conflict")
    }

    static let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "MemVaultInteropTests/Fixtures")

    @Test("MemOS and mem0 files in, a MemOS dump and a subject's export out")
    func foreignFormats() throws {
        let (folder, cli) = try CommandRunner.installationWithTenant()
        let memos = try cli.run([
            "import", "--tenant", "acme", "--from", "memos", "--category", "profile",
            Self.fixtures.appending(path: "memos/mem_cube_tree").path, "--purpose", "service-delivery", "--json",
        ])
        #expect(memos.status == 0, "\(memos.standardOutput)\(memos.standardError)")
        let memosCubes = try #require(try memos.json()["imported"] as? [[String: Any]])
        #expect(
            memosCubes.count == 1 && memosCubes[0]["memories"] as? Int == 4 && memosCubes[0]["embeddings"] as? Int == 4)
        let mem0 = try cli.run([
            "import", "--tenant", "acme", "--from", "mem0", "--category", "profile",
            "--history", Self.fixtures.appending(path: "mem0/history.json").path,
            Self.fixtures.appending(path: "mem0/get_all.json").path, "--purpose", "service-delivery", "--json",
        ])
        #expect(mem0.status == 0, "\(mem0.standardOutput)\(mem0.standardError)")
        let mem0Cubes = try #require(try mem0.json()["imported"] as? [[String: Any]])
        #expect(mem0Cubes.map { $0["versions"] as? Int } == [3, 1])

        let cube = try #require((memosCubes[0]["cube"] as? [String: Any])?["id"] as? String)
        let dump = folder.appending("back")
        let exported = try cli.run([
            "export", "--tenant", "acme", "--cube", cube, "--format", "memos", "--output", dump,
            "--purpose", "data-subject-rights", "--json",
        ])
        #expect(exported.status == 0, "\(exported.standardOutput)\(exported.standardError)")
        let textual = try String(contentsOfFile: dump + "/textual_memory.json", encoding: .utf8)
        #expect(textual.contains("c1e2bfb3-4dd7-40f9-a347-a25a72223b2c") && textual.contains("\"nodes\""))
        // The administrator may not take plaintext out.
        let refused = try cli.run([
            "export", "--tenant", "acme", "--cube", cube, "--format", "memos", "--output", folder.appending("no"),
            "--role", "administrator", "--purpose", "service-delivery", "--json",
        ])
        #expect(refused.status != 0 && !FileManager.default.fileExists(atPath: folder.appending("no")))

        let subject = try #require(mem0Cubes[0]["subject"] as? String)
        let file = folder.appending("alex.json")
        let access = try cli.run([
            "export", "--tenant", "acme", "--format", "subject", "--subject", subject, "--output", file,
            "--purpose", "data-subject-rights", "--json",
        ])
        #expect(access.status == 0, "\(access.standardOutput)\(access.standardError)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(filePath: file))) as? [String: Any])
        #expect(document["externalID"] as? String == "alex")
        #expect((document["cubes"] as? [[String: Any]])?.count == 1)
        #expect((document["auditCheckpoint"] as? String)?.isEmpty == false)
    }

    @Test("a module packed in one installation, trusted and installed in another, read-only, upgraded, uninstalled")
    func modules() throws {
        let (publisherFolder, publisher) = try CommandRunner.installationWithTenant()
        let (consumerFolder, consumer) = try CommandRunner.installationWithTenant()
        // The folder is removed when released: keep it until the end.
        defer { withExtendedLifetime(consumerFolder) {} }
        let cube = try publisher.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"])
            .string("id")
        try publisher.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "returns are free"])
        let file = publisherFolder.appending("faq-1.0.0.mvmodule")
        let packed = try publisher.run([
            "module", "pack", "--tenant", "acme", "--cube", cube, "--name", "faq", "--version", "1.0.0",
            "--license", "CC-BY-4.0", "--output", file, "--purpose", "service-delivery", "--json",
        ])
        #expect(packed.status == 0, "\(packed.standardOutput)\(packed.standardError)")
        let signer = try packed.string("signer")

        let refused = try consumer.run([
            "module", "install", "--tenant", "acme", file, "--purpose", "service-delivery", "--json",
        ])
        #expect(refused.status != 0)
        #expect(
            try consumer.run([
                "module", "trust", "--tenant", "acme", "--publisher", signer, "--name", "the publisher", "--json",
            ]).status == 0)
        let installed = try consumer.run([
            "module", "install", "--tenant", "acme", file, "--purpose", "service-delivery", "--json",
        ])
        #expect(installed.status == 0, "\(installed.standardOutput)\(installed.standardError)")
        let installedCube = try #require((try installed.json()["cube"] as? [String: Any])?["id"] as? String)
        let write = try consumer.run([
            "memory", "add", "--tenant", "acme", "--cube", installedCube, "--text", "everything is free", "--json",
        ])
        let error = try #require(try write.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "read_only")

        try publisher.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "support answers in a day"])
        let next = publisherFolder.appending("faq-1.1.0.mvmodule")
        try publisher.run([
            "module", "pack", "--tenant", "acme", "--cube", cube, "--name", "faq", "--version", "1.1.0",
            "--license", "CC-BY-4.0", "--output", next, "--purpose", "service-delivery",
        ])
        let upgraded = try consumer.run([
            "module", "upgrade", "--tenant", "acme", next, "--purpose", "service-delivery", "--json",
        ])
        #expect(upgraded.status == 0, "\(upgraded.standardOutput)\(upgraded.standardError)")
        #expect(try upgraded.json()["memories"] as? Int == 2)
        let listed = try consumer.run(["module", "list", "--tenant", "acme", "--json"]).json()
        let modules = try #require(listed["modules"] as? [[String: Any]])
        #expect(modules.compactMap { ($0["module"] as? [String: Any])?["version"] as? String } == ["1.1.0"])
        #expect(try consumer.run(["module", "uninstall", "--tenant", "acme", "faq", "--json"]).status == 0)
        let empty = try consumer.run(["module", "list", "--tenant", "acme", "--json"]).json()
        #expect((empty["modules"] as? [[String: Any]])?.isEmpty == true)
    }
}
