import Foundation
import Testing

/// `keys recipient`, `export`, `import` and `module` through a running server (`--server`), answering as they do on
/// the data folder: bundles and modules travel as bytes, foreign documents as JSON.
@Suite("memvault export, import and module --server")
struct PortabilityTransportTests {
    /// The JSON output of a command without the fields that name where it was written.
    static func summary(_ outcome: CommandRunner.Outcome) throws -> NSDictionary {
        var object = try outcome.json()
        object["output"] = nil
        return NSDictionary(dictionary: object)
    }

    @Test("a bundle sealed through one server is imported through another, as the folders would")
    func bundlesThroughServers() throws {
        let (sourceFolder, source) = try CommandRunner.installationWithTenant()
        let (destinationFolder, destination) = try CommandRunner.installationWithTenant()
        defer { withExtendedLifetime(destinationFolder) {} }
        let cube = try PortabilityCommandTests.anaCube(in: source)
        let sourceToken = try source.run([
            "credential", "create", "--tenant", "acme", "--as", "administrator", "--json",
        ]).string("token")
        let destinationToken = try destination.run([
            "credential", "create", "--tenant", "acme", "--as", "administrator", "--json",
        ]).string("token")

        try ServerTransportTests.withServe(destination) { destinationAddress in
            var receiver = destination
            receiver.environment = ["MEMVAULT_SERVER": destinationAddress, "MEMVAULT_API_KEY": destinationToken]
            try ServerTransportTests.expectSame(
                ["keys", "recipient", "--tenant", "acme", "--json"], remote: receiver, local: destination)
            let recipient = try receiver.run(["keys", "recipient", "--tenant", "acme", "--json"]).string("recipient")
            let signer = try source.run(["keys", "recipient", "--tenant", "acme", "--json"]).string("signer")

            try ServerTransportTests.withServe(source) { sourceAddress in
                var sender = source
                sender.environment = ["MEMVAULT_SERVER": sourceAddress, "MEMVAULT_API_KEY": sourceToken]
                let viaServer = sourceFolder.appending("server.mvbundle")
                let onFolder = sourceFolder.appending("folder.mvbundle")
                let export = [
                    "export", "--tenant", "acme", "--cube", cube, "--to", recipient, "--purpose", "service-delivery",
                    "--json",
                ]
                let sent = try sender.run(export + ["--output", viaServer])
                #expect(sent.status == 0, "\(sent.standardOutput)\(sent.standardError)")
                let written = try source.run(export + ["--output", onFolder])
                // The same cube, counted, hashed, signed and sealed alike; only the sealing's randomness differs.
                #expect(try Self.summary(sent) == Self.summary(written), "\(sent.standardOutput)")
                #expect(try sent.json()["memories"] as? Int == 1 && sent.json()["versions"] as? Int == 2)
                let bytes = try Data(contentsOf: URL(filePath: viaServer))
                #expect(!String(decoding: bytes, as: UTF8.self).contains("Portuguese"))
                #expect(try FileManager.default.attributesOfItem(atPath: viaServer)[.posixPermissions] as? Int == 0o600)
                // The role comes from the credential: --role is not taken.
                #expect(try sender.run(export + ["--output", viaServer + "2", "--role", "auditor"]).status != 0)
                #expect(!FileManager.default.fileExists(atPath: viaServer + "2"))

                let importing = ["import", "--tenant", "acme", "--from", "memvault", "--purpose", "service-delivery"]
                let untrusted = try receiver.run(
                    importing + ["--trusted-sender", String(repeating: "0", count: 64), viaServer, "--json"])
                #expect(untrusted.status != 0 && untrusted.standardOutput.contains("not the sender this import trusts"))
                let imported = try receiver.run(importing + ["--trusted-sender", signer, viaServer, "--json"])
                #expect(imported.status == 0, "\(imported.standardOutput)\(imported.standardError)")
                let cubes = try #require(try imported.json()["imported"] as? [[String: Any]])
                #expect(cubes.first?["versions"] as? Int == 2)
                let newCube = try #require((cubes.first?["cube"] as? [String: Any])?["id"] as? String)
                // The administrator moved what it may not read; the application reads it on the folder.
                let listed = try destination.run(["memory", "list", "--tenant", "acme", "--cube", newCube, "--json"])
                #expect(listed.standardOutput.contains("speaks Portuguese and Spanish"), "\(listed.standardOutput)")
                // The folder's bundle carries the same memories: importing it too is a conflict.
                let again = try destination.run(importing + [onFolder, "--json"])
                #expect(again.status != 0 && again.standardOutput.contains("\"conflict\""), "\(again.standardOutput)")
            }
        }
    }

    @Test("MemOS and mem0 documents in, a MemOS dump and a subject's export out, alike through the server")
    func foreignFormatsThroughServer() throws {
        let (folder, local) = try CommandRunner.installationWithTenant()
        let administrator = try local.run([
            "credential", "create", "--tenant", "acme", "--as", "administrator", "--json",
        ]).string("token")
        let officer = try local.run([
            "credential", "create", "--tenant", "acme", "--as", "data-protection-officer", "--json",
        ]).string("token")
        let fixtures = PortabilityCommandTests.fixtures
        try ServerTransportTests.withServe(local) { address in
            var remote = local
            remote.environment = ["MEMVAULT_SERVER": address, "MEMVAULT_API_KEY": administrator]
            let memosImport = [
                "import", "--tenant", "acme", "--from", "memos", "--category", "profile", "--purpose",
                "service-delivery", "--json", fixtures.appending(path: "memos/mem_cube_tree").path,
            ]
            let viaServer = try remote.run(memosImport)
            #expect(viaServer.status == 0, "\(viaServer.standardOutput)\(viaServer.standardError)")
            let onFolder = try local.run(memosImport)
            let serverCubes = try #require(try viaServer.json()["imported"] as? [[String: Any]])
            let folderCubes = try #require(try onFolder.json()["imported"] as? [[String: Any]])
            for key in ["memories", "versions", "embeddings"] {
                #expect(serverCubes.map { $0[key] as? Int } == folderCubes.map { $0[key] as? Int }, "\(key)")
            }
            #expect(serverCubes.first?["memories"] as? Int == 4)
            #expect(
                try viaServer.json()["skipped"] as? [String] == onFolder.json()["skipped"] as? [String],
                "files the folder holds besides the documents are reported either way")
            let notADump = try remote.run([
                "import", "--tenant", "acme", "--from", "memos", folder.appending("data"), "--json",
            ])
            #expect(notADump.status != 0 && notADump.standardOutput.contains("invalid_argument"))

            let mem0 = try remote.run([
                "import", "--tenant", "acme", "--from", "mem0", "--category", "profile", "--history",
                fixtures.appending(path: "mem0/history.json").path, fixtures.appending(path: "mem0/get_all.json").path,
                "--purpose", "service-delivery", "--json",
            ])
            #expect(mem0.status == 0, "\(mem0.standardOutput)\(mem0.standardError)")
            let mem0Cubes = try #require(try mem0.json()["imported"] as? [[String: Any]])
            #expect(mem0Cubes.map { $0["versions"] as? Int } == [3, 1])

            // Plaintext out is the officer's: the same dump files either way.
            var dpo = remote
            dpo.environment["MEMVAULT_API_KEY"] = officer
            let cube = try #require((serverCubes[0]["cube"] as? [String: Any])?["id"] as? String)
            let dump = [
                "export", "--tenant", "acme", "--cube", cube, "--format", "memos", "--purpose", "data-subject-rights",
                "--json",
            ]
            let served = try dpo.run(dump + ["--output", folder.appending("served")])
            #expect(served.status == 0, "\(served.standardOutput)\(served.standardError)")
            let written = try local.run(dump + ["--output", folder.appending("written")])
            #expect(try Self.summary(served) == Self.summary(written), "\(served.standardOutput)")
            for file in ["config.json", "textual_memory.json"] {
                let a = try Data(contentsOf: URL(filePath: folder.appending("served/\(file)")))
                let b = try Data(contentsOf: URL(filePath: folder.appending("written/\(file)")))
                #expect(a == b && !a.isEmpty, "\(file)")
            }
            #expect(
                try remote.run(dump + ["--output", folder.appending("refused")]).status != 0,
                "the administrator's credential may not take plaintext out")

            let subject = try #require(mem0Cubes[0]["subject"] as? String)
            let access = [
                "export", "--tenant", "acme", "--format", "subject", "--subject", subject, "--purpose",
                "data-subject-rights", "--json",
            ]
            let servedExport = try dpo.run(access + ["--output", folder.appending("served.json")])
            #expect(servedExport.status == 0, "\(servedExport.standardOutput)\(servedExport.standardError)")
            let writtenExport = try local.run(access + ["--output", folder.appending("written.json")])
            #expect(try Self.summary(servedExport) == Self.summary(writtenExport))
            let read = { (name: String) throws -> [String: Any] in
                try #require(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(filePath: folder.appending(name))))
                        as? [String: Any])
            }
            let (a, b) = (try read("served.json"), try read("written.json"))
            // Each export is its own act: its time and checkpoint differ; what it holds does not.
            for key in ["cubes", "consent", "restrictions", "holds", "erasureRequests", "processing", "contentHash"] {
                #expect(
                    NSDictionary(dictionary: [key: a[key] ?? NSNull()]).isEqual(to: [key: b[key] ?? NSNull()]), "\(key)"
                )
            }
            #expect((a["cubes"] as? [[String: Any]])?.count == 1 && a["externalID"] as? String == "alex")
        }
    }

    @Test("a module packed, signed, trusted, installed, upgraded and uninstalled through servers")
    func modulesThroughServers() throws {
        let (publisherFolder, publisher) = try CommandRunner.installationWithTenant()
        let (consumerFolder, consumer) = try CommandRunner.installationWithTenant()
        defer { withExtendedLifetime(consumerFolder) {} }
        let cube = try publisher.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "faq", "--json"])
            .string("id")
        try publisher.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "returns are free"])
        let token = { (runner: CommandRunner) in
            try runner.run(["credential", "create", "--tenant", "acme", "--as", "administrator", "--json"])
                .string("token")
        }
        let (publisherToken, consumerToken) = (try token(publisher), try token(consumer))
        try ServerTransportTests.withServe(publisher) { publisherAddress in
            try ServerTransportTests.withServe(consumer) { consumerAddress in
                var author = publisher
                author.environment = ["MEMVAULT_SERVER": publisherAddress, "MEMVAULT_API_KEY": publisherToken]
                var installer = consumer
                installer.environment = ["MEMVAULT_SERVER": consumerAddress, "MEMVAULT_API_KEY": consumerToken]
                let pack = { (version: String) in
                    [
                        "module", "pack", "--tenant", "acme", "--cube", cube, "--name", "faq", "--version", version,
                        "--license", "CC-BY-4.0", "--purpose", "service-delivery", "--json", "--output",
                        publisherFolder.appending("faq-\(version)"),
                    ]
                }
                let packed = try author.run(pack("1.0.0"))
                #expect(packed.status == 0, "\(packed.standardOutput)\(packed.standardError)")
                let signer = try packed.string("signer")
                #expect(
                    signer == (try publisher.run(["keys", "recipient", "--tenant", "acme", "--json"]).string("signer")))

                // The consumer's tenant vouches for it too, through its server, and trusts only itself.
                let countersigned = consumerFolder.appending("faq-1.0.0-signed")
                let signed = try installer.run([
                    "module", "sign", "--tenant", "acme", "--output", countersigned, "--json",
                    publisherFolder.appending("faq-1.0.0"),
                ])
                #expect(signed.status == 0, "\(signed.standardOutput)\(signed.standardError)")
                let own = try installer.run(["keys", "recipient", "--tenant", "acme", "--json"]).string("signer")
                #expect(try signed.string("signer") == own && own != signer)
                let install = ["module", "install", "--tenant", "acme", "--purpose", "service-delivery", "--json"]
                #expect(try installer.run(install + [countersigned]).status != 0, "nobody is trusted yet")
                let trusted = try installer.run([
                    "module", "trust", "--tenant", "acme", "--publisher", own, "--name", "ourselves", "--json",
                ])
                #expect(trusted.status == 0, "\(trusted.standardOutput)\(trusted.standardError)")
                let installed = try installer.run(install + [countersigned])
                #expect(installed.status == 0, "\(installed.standardOutput)\(installed.standardError)")
                #expect(try installed.json()["memories"] as? Int == 1)
                try ServerTransportTests.expectSame(
                    ["module", "list", "--tenant", "acme", "--json"], remote: installer, local: consumer)

                try publisher.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "answers in a day"])
                #expect(try author.run(pack("1.1.0")).status == 0)
                #expect(
                    try installer.run([
                        "module", "sign", "--tenant", "acme", "--output", countersigned + "-1.1.0",
                        publisherFolder.appending("faq-1.1.0"),
                    ]).status == 0)
                let upgraded = try installer.run([
                    "module", "upgrade", "--tenant", "acme", "--purpose", "service-delivery", "--json",
                    countersigned + "-1.1.0",
                ])
                #expect(upgraded.status == 0, "\(upgraded.standardOutput)\(upgraded.standardError)")
                #expect(try upgraded.json()["memories"] as? Int == 2)
                let bad = try installer.run(["module", "uninstall", "--tenant", "acme", "../faq", "--json"])
                #expect(bad.status != 0 && bad.standardOutput.contains("not a module name"))
                #expect(try installer.run(["module", "uninstall", "--tenant", "acme", "faq", "--json"]).status == 0)
                let left = try consumer.run(["module", "list", "--tenant", "acme", "--json"]).json()
                #expect((left["modules"] as? [[String: Any]])?.isEmpty == true)
            }
        }
    }
}
