import Foundation
import MCP
import MemVault
import MemVaultAudit
import MemVaultMCP
import MemVaultPolicy
import MemVaultSQLite
import Synchronization
import Testing

/// The MCP server in process, driven by the swift-sdk's client over its in-memory transport.
@Suite("MCP: the memory tools")
struct MemoryToolsTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)
    static let agent = AccessContext(actor: "cred_agent", role: .application, purpose: "personalisation")

    /// A store with tenant acme, two subjects (ana with consent for personalisation, bob) and a client connected to
    /// an MCP server bound to ana, for the duration of `body`.
    static func withSession(
        _ body: (Client, MemoryStore, (ana: SubjectID, bob: SubjectID)) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-mcp-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let installation = try Installation.initialise(
            at: folder.appending(path: "data").path,
            masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        let policies = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies")
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies))
        do {
            try await store.createTenant(TenantID("acme"), as: administrator)
            let tenant = try await store.tenant(TenantID("acme"), as: agent)
            let ana = try await tenant.resolveSubject(externalID: "ana").id
            let bob = try await tenant.resolveSubject(externalID: "bob").id
            for subject in [ana, bob] {
                try await tenant.setConsent(.given, subject: subject, purpose: "personalisation", evidence: nil)
            }
            let server = await MemoryServer.make(MemorySession(access: tenant.confined(to: ana), subject: ana))
            let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
            try await server.start(transport: serverSide)
            let client = Client(name: "memvault-tests", version: "1")
            _ = try await client.connect(transport: clientSide)
            try await body(client, store, (ana, bob))
            await client.disconnect()
            await server.stop()
        } catch {
            try? await store.close()
            try? installation.close()
            throw error
        }
        try await store.close()
        try installation.close()
    }

    /// The JSON object a tool answered, or the text of its error.
    static func call(_ client: Client, _ tool: String, _ arguments: [String: Value] = [:]) async throws -> (
        json: [String: Any], error: String?
    ) {
        let (content, isError) = try await client.callTool(name: tool, arguments: arguments)
        guard case .text(let text, _, _) = try #require(content.first) else { return ([:], "no text") }
        if isError == true { return ([:], text) }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return (try #require(object as? [String: Any], "\(text)"), nil)
    }

    @Test("lists its tools with schemas; remember, recall, get, update, list and forget act on the bound subject")
    func rememberAndRecall() async throws {
        try await Self.withSession { client, store, subjects in
            let tools = try await client.listTools().tools
            #expect(
                Set(tools.map(\.name)) == ["remember", "recall", "get", "list", "update", "forget", "consent_status"])
            #expect(
                tools.allSatisfy { $0.description?.isEmpty == false && $0.inputSchema.objectValue?["type"] == "object" }
            )

            let stored = try await Self.call(
                client, "remember",
                ["content": "Prefers green tea without sugar", "type": "preference", "tags": ["drinks"]])
            #expect(stored.error == nil, "\(stored.error ?? "")")
            let id = try #require(stored.json["id"] as? String)
            #expect(stored.json["subject"] as? String == subjects.ana.rawValue)
            #expect(stored.json["type"] as? String == "preference")
            _ = try await Self.call(client, "remember", ["content": "Cycles to work in Lisbon"])

            // With a progress token, recall reports its steps.
            let reports = Mutex<[String]>([])
            await client.onNotification(ProgressNotification.self) { message in
                reports.withLock { $0.append("\(Int(message.params.progress))/\(Int(message.params.total ?? 0))") }
            }
            _ = try await client.callTool(
                name: "recall", arguments: ["query": "tea"], meta: Metadata(progressToken: .unique()))
            // Notifications are handled beside the call's answer: wait for them (a loaded machine is slow).
            for _ in 0..<100 where reports.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(reports.withLock { $0 } == ["0/1", "1/1"])

            let recalled = try await Self.call(client, "recall", ["query": "what tea does she drink"])
            let hits = try #require(recalled.json["hits"] as? [[String: Any]], "\(recalled)")
            #expect((hits.first?["memory"] as? [String: Any])?["id"] as? String == id)

            let updated = try await Self.call(client, "update", ["id": .string(id), "content": "Prefers oolong tea"])
            #expect(updated.json["version"] as? Int == 2, "\(updated)")
            let fetched = try await Self.call(client, "get", ["id": .string(id)])
            #expect((fetched.json["content"] as? [String: Any])?["text"] as? String == "Prefers oolong tea")
            let listed = try await Self.call(client, "list")
            #expect((listed.json["items"] as? [[String: Any]])?.count == 2, "\(listed)")

            // One call, one entry, as its REST equivalent (DELETE /v1/memories/{id}) records.
            let auditor = try await store.tenant(TenantID("acme"), as: AccessContext(actor: "auditor", role: .auditor))
            let before = try await auditor.auditLog(AuditFilter(actor: "cred_agent")).count
            let forgotten = try await Self.call(client, "forget", ["id": .string(id)])
            #expect(forgotten.json["forgotten"] as? String == id)
            let forgetEntries = try await auditor.auditLog(AuditFilter(actor: "cred_agent")).dropFirst(before)
            #expect(forgetEntries.map(\.action.rawValue) == ["delete"] && forgetEntries.first?.memories == [id])
            let gone = try await Self.call(client, "get", ["id": .string(id)])
            #expect(gone.error?.hasPrefix("not_found") == true, "\(gone)")

            // The cube made for the subject's first memory is a resource.
            let resources = try await client.listResources().resources
            #expect(resources.count == 1 && resources[0].uri.hasPrefix("memvault://cubes/cube_"))
            let contents = try await client.readResource(uri: resources[0].uri)
            guard case .some(let content) = contents.first else { throw MemVaultError(.notFound, "no content") }
            #expect(content.text?.contains("Cycles to work in Lisbon") == true)

            // Every call is in the tenant's audit log as its operation, with no content.
            let log = try await store.tenant(TenantID("acme"), as: AccessContext(actor: "auditor", role: .auditor))
                .auditLog(AuditFilter(actor: "cred_agent"))
            let actions = Set(log.map(\.action.rawValue))
            #expect(actions.isSuperset(of: ["write", "search", "read", "update", "delete"]), "\(actions)")
            let encoded = try JSONEncoder().encode(log)
            #expect(!String(decoding: encoded, as: UTF8.self).contains("tea"))
        }
    }

    @Test("another subject's memory answers as unknown; withdrawn consent denies recall and says why")
    func boundaries() async throws {
        try await Self.withSession { client, store, subjects in
            let tenant = try await store.tenant(TenantID("acme"), as: Self.agent)
            let bobCube = try await tenant.createCube(NewCube(owner: .subject(subjects.bob), name: "chat"))
            let bobs = try await tenant.addMemory(NewMemory(content: .text("Bob's secret")), to: bobCube.id)
            for tool in ["get", "update", "forget"] {
                let answer = try await Self.call(client, tool, ["id": .string(bobs.id.rawValue), "content": "x"])
                #expect(
                    answer.error?.hasPrefix("not_found") == true || answer.error?.hasPrefix("invalid") == true,
                    "\(tool): \(answer)")
                #expect(answer.error?.contains("Bob") != true)
            }
            #expect(
                try await tenant.memory(bobs.id, version: nil).content == .text("Bob's secret"),
                "bob's memory untouched")
            let unknownCube = try await Self.call(
                client, "remember", ["content": "x", "cube": .string(bobCube.id.rawValue)])
            #expect(unknownCube.error != nil, "writing into another subject's cube is refused: \(unknownCube)")

            _ = try await Self.call(client, "remember", ["content": "Allergic to peanuts"])
            try await tenant.setConsent(.withdrawn, subject: subjects.ana, purpose: "personalisation", evidence: nil)
            let denied = try await Self.call(client, "recall", ["query": "allergies"])
            // A tool error that names the rule and the consent, nothing of the memories.
            let reason = try #require(denied.error, "\(denied)")
            #expect(reason.hasPrefix("denied") && reason.contains("memvault:consent") && reason.contains("withdrawn"))
            #expect(!reason.contains("peanuts"))
            let status = try await Self.call(client, "consent_status")
            let purposes = try #require(status.json["purposes"] as? [[String: Any]])
            #expect(
                purposes.first { $0["purpose"] as? String == "personalisation" }?["state"] as? String == "withdrawn")

            let malformed = try await Self.call(client, "recall", ["limit": 3])
            #expect(malformed.error?.contains("'query' is required") == true, "\(malformed)")
        }
    }
}
