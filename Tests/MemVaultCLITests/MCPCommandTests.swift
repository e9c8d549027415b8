import Foundation
import MCP
import SystemPackage
import Testing

/// `memvault mcp` as a desktop agent runs it: a child process on pipes, driven by the swift-sdk's client.
@Suite("memvault mcp")
struct MCPCommandTests {
    @Test("the swift-sdk client over stdio: tools, remember, recall, forget, a cross-tenant id; a bad credential")
    func stdio() async throws {
        let (folder, cli) = try CommandRunner.installationWithTenant()
        _ = folder
        try cli.run(["tenant", "create", "globex"])
        let token = try cli.run(["credential", "create", "--tenant", "acme", "--as", "application", "--json"])
            .string("token")
        var personal = cli
        personal.context = ["--policies", CommandRunner.policiesFolder, "--purpose", "personalisation"]
        let ana = try personal.run(["subject", "resolve", "--tenant", "acme", "--external-id", "ana", "--json"])
            .string("id")
        try personal.run(["consent", "grant", "--tenant", "acme", "--subject", ana, "--for", "personalisation"])
        let bob = try cli.run(["subject", "resolve", "--tenant", "globex", "--external-id", "bob", "--json"])
            .string("id")
        let cube = try cli.run([
            "cube", "create", "--tenant", "globex", "--subject", bob, "--name", "chat", "--json",
        ]).string("id")
        let foreign = try cli.run(["memory", "add", "--tenant", "globex", "--cube", cube, "--text", "x", "--json"])
            .string("id")

        var agent = cli
        agent.environment = ["MEMVAULT_API_KEY": token]
        let arguments = [
            "mcp", "--policies", CommandRunner.policiesFolder, "--external-id", "ana", "--purpose",
            "personalisation",
        ]
        let server = try agent.process(arguments)
        let (toServer, fromServer) = (Pipe(), Pipe())
        server.standardInput = toServer
        server.standardOutput = fromServer
        server.standardError = FileHandle.nullDevice
        try server.run()
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        let client = Client(name: "memvault-cli-tests", version: "1")
        let initialized = try await client.connect(transport: transport)
        #expect(initialized.serverInfo.name == "memvault")
        #expect(try await client.listTools().tools.map(\.name).contains("recall"))

        func call(_ tool: String, _ arguments: [String: Value]) async throws -> (text: String, isError: Bool) {
            let (content, isError) = try await client.callTool(name: tool, arguments: arguments)
            guard case .text(let text, _, _) = content.first else { return ("", true) }
            return (text, isError == true)
        }
        let stored = try await call("remember", ["content": "Plays the cello", "type": "profile"])
        #expect(!stored.isError, "\(stored.text)")
        let id = try #require(
            (try JSONSerialization.jsonObject(with: Data(stored.text.utf8)) as? [String: Any])?["id"] as? String)
        let recalled = try await call("recall", ["query": "cello"])
        #expect(!recalled.isError && recalled.text.contains(id), "\(recalled.text)")
        #expect(try await call("forget", ["id": .string(id)]).isError == false)
        let gone = try await call("get", ["id": .string(id)])
        #expect(gone.isError && gone.text.hasPrefix("not_found"))
        let crossTenant = try await call("get", ["id": .string(foreign)])
        #expect(crossTenant.isError && crossTenant.text.hasPrefix("not_found"), "\(crossTenant.text)")
        await client.disconnect()
        try toServer.fileHandleForWriting.close()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        var stranger = cli
        stranger.environment = ["MEMVAULT_API_KEY": "mvk_cred_00000000000000000000000000.AAAA"]
        let refused = try stranger.run(arguments)
        #expect(refused.status != 0 && refused.standardError.contains("revoked or expired"), "\(refused)")
    }

    @Test("through a running server (MEMVAULT_SERVER): the same tools, the subject still fixed by the session")
    func throughServer() async throws {
        let (folder, cli) = try CommandRunner.installationWithTenant()
        _ = folder
        let issued = try cli.run([
            "credential", "create", "--tenant", "acme", "--as", "application", "--purpose-limit", "service-delivery",
            "--json",
        ])
        let token = try issued.string("token")
        let credential = try #require((try issued.json()["credential"] as? [String: Any])?["id"] as? String)
        let bob = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "bob", "--json"]).string("id")
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--subject", bob, "--name", "chat", "--json"])
            .string("id")
        let bobs = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "bob's", "--json"])
            .string("id")
        let (serve, printed) = try cli.startServer()
        defer { CommandRunner.stop(serve) }
        let address = try #require(printed.firstMatch(of: /(http:\/\/127\.0\.0\.1:\d+)\n/).map { String($0.1) })

        var agent = cli
        agent.environment = ["MEMVAULT_API_KEY": token, "MEMVAULT_SERVER": address]
        let server = try agent.process(["mcp", "--external-id", "ana"], withData: false)
        let (toServer, fromServer) = (Pipe(), Pipe())
        server.standardInput = toServer
        server.standardOutput = fromServer
        server.standardError = FileHandle.nullDevice
        try server.run()
        let client = Client(name: "memvault-cli-tests", version: "1")
        _ = try await client.connect(
            transport: StdioTransport(
                input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
                output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor)))
        func call(_ tool: String, _ arguments: [String: Value]) async throws -> (text: String, isError: Bool) {
            let (content, isError) = try await client.callTool(name: tool, arguments: arguments)
            guard case .text(let text, _, _) = content.first else { return ("", true) }
            return (text, isError == true)
        }
        let stored = try await call("remember", ["content": "Plays the cello"])
        #expect(!stored.isError, "\(stored.text)")
        let recalled = try await call("recall", ["query": "cello"])
        #expect(!recalled.isError && recalled.text.contains("Plays the cello"), "\(recalled.text)")
        // bob is a subject of the same tenant, but not the session's: his memory is unknown here.
        for tool in ["get", "forget"] {
            let answer = try await call(tool, ["id": .string(bobs)])
            #expect(answer.isError && answer.text.hasPrefix("not_found"), "\(tool): \(answer.text)")
        }
        #expect(try cli.run(["memory", "get", "--tenant", "acme", bobs]).status == 0, "bob's memory is untouched")

        // Confined by the server, each call is one entry, as over REST: forget is a delete, with no read before it.
        let entries = { () throws -> [String] in
            try cli.run(["audit", "log", "--tenant", "acme", "--by", credential, "--json"]).standardOutput
                .split(separator: "\n").map(String.init)
        }
        let before = try entries().count
        let id = try #require(
            (try JSONSerialization.jsonObject(with: Data(stored.text.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try await call("forget", ["id": .string(id)]).isError == false)
        let added = try entries().dropFirst(before)
        #expect(added.count == 1 && added.first?.contains("\"action\":\"delete\"") == true, "\(added)")
        await client.disconnect()
        try toServer.fileHandleForWriting.close()
        server.waitUntilExit()
    }
}
