import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `/mcp` over real HTTP, spoken by hand (JSON-RPC in, server-sent events out) to reach what a well-behaved
/// client never sends: other credentials, foreign origins, missing subjects. The Python `mcp` client drives the
/// ordinary flow (scripts/mcp-clients).
@Suite("HTTP server: the MCP endpoint")
struct MCPEndpointTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    struct Answer {
        let status: Int
        let session: String?
        /// The JSON-RPC messages of the answer: its JSON body, or each `data:` event of its stream.
        let messages: [[String: Any]]

        var result: [String: Any]? { messages.first { $0["result"] != nil }?["result"] as? [String: Any] }
    }

    static func post(
        _ base: URL, token: String?, session: String? = nil, headers: [String: String] = [:], _ message: [String: Any]
    ) async throws -> Answer {
        var request = URLRequest(url: base.appending(path: "mcp"))
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: message)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let text = String(decoding: data, as: UTF8.self)
        let bodies =
            (http.value(forHTTPHeaderField: "Content-Type") ?? "").contains("text/event-stream")
            ? text.split(separator: "\n").filter { $0.hasPrefix("data:") }.map { $0.dropFirst(5) } : [Substring(text)]
        let messages = bodies.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return Answer(
            status: http.statusCode, session: http.value(forHTTPHeaderField: "Mcp-Session-Id"), messages: messages)
    }

    static var initialize: [String: Any] {
        [
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": [
                "protocolVersion": "2025-06-18", "capabilities": [String: Any](),
                "clientInfo": ["name": "memvault-tests", "version": "1"],
            ],
        ]
    }

    static func call(_ id: Int, _ tool: String, _ arguments: [String: Any]) -> [String: Any] {
        ["jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ["name": tool, "arguments": arguments]]
    }

    /// Tenant acme, and its subject ana, who consents to personalisation; with the application's store that made them.
    static func consentingSubject(_ store: MemoryStore) async throws -> (TenantStore, SubjectID) {
        try await store.createTenant(TenantID("acme"), policy: "default", as: administrator)
        let app = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "setup", role: .application, purpose: "personalisation"))
        let ana = try await app.resolveSubject(externalID: "ana").id
        try await app.setConsent(.given, subject: ana, purpose: "personalisation", evidence: nil)
        return (app, ana)
    }

    @Test(
        "a session answers only the credential that opened it, for the subject it names; revocation ends it",
        arguments: ServerBackend.allCases)
    func sessions(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            let (_, ana) = try await Self.consentingSubject(store)
            let issue = { (tenant: String?, role: Role) in
                try await store.createCredential(
                    NewCredential(tenant: try tenant.map(TenantID.init), role: role), as: Self.administrator)
            }
            let agent = try await issue("acme", .application)
            let other = try await issue("acme", .application)
            let installation = try await issue(nil, .administrator)
            let headers = ["MemVault-Subject": ana.rawValue, "MemVault-Purpose": "personalisation"]

            let opened = try await Self.post(base, token: agent.token, headers: headers, Self.initialize)
            let session = try #require(opened.session, "\(opened.status) \(opened.messages)")
            #expect(
                opened.status == 200
                    && (opened.result?["serverInfo"] as? [String: Any])?["name"] as? String == "memvault")
            _ = try await Self.post(
                base, token: agent.token, session: session,
                ["jsonrpc": "2.0", "method": "notifications/initialized"])
            let stored = try await Self.post(
                base, token: agent.token, session: session, Self.call(2, "remember", ["content": "Likes chess"]))
            let result = try #require(stored.result, "\(stored.status) \(stored.messages)")
            let text = ((result["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            #expect(result["isError"] as? Bool != true && text.contains("Likes chess"), "\(result)")
            let log = try await store.tenant(TenantID("acme"), as: AccessContext(actor: "a", role: .auditor))
                .auditLog(AuditFilter(actor: agent.credential.id))
            #expect(log.map(\.action.rawValue).contains("write") && log.allSatisfy { $0.subject != ana.rawValue })

            // Another credential, even of the same tenant, does not reach the session: as if it did not exist.
            let hijack = try await Self.post(
                base, token: other.token, session: session, Self.call(3, "list", [String: Any]()))
            #expect(hijack.status == 404, "\(hijack.messages)")
            let invented = try await Self.post(
                base, token: agent.token, session: "no-such-session", Self.call(3, "list", [String: Any]()))
            #expect(invented.status == 404)

            // No session without a credential, a subject, a tenant credential or an allowed origin.
            #expect(try await Self.post(base, token: nil, headers: headers, Self.initialize).status == 401)
            #expect(try await Self.post(base, token: agent.token, Self.initialize).status == 400)
            #expect(
                try await Self.post(base, token: installation.token, headers: headers, Self.initialize).status == 403)
            var foreign = headers
            foreign["Origin"] = "https://evil.example"
            #expect(try await Self.post(base, token: agent.token, headers: foreign, Self.initialize).status == 403)
            let again = try await Self.post(base, token: agent.token, session: session, Self.initialize)
            #expect(again.status >= 400 || again.messages.contains { $0["error"] != nil }, "\(again.messages)")

            // Revoked: the very next request is refused.
            _ = try await store.revokeCredential(agent.credential.id, as: Self.administrator)
            let revoked = try await Self.post(
                base, token: agent.token, session: session, Self.call(4, "list", [String: Any]()))
            #expect(revoked.status == 401)
        }
    }

    @Test(
        "each MCP tool call is recorded in the audit log exactly as its REST equivalent",
        arguments: ServerBackend.allCases)
    func auditParity(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            let (setup, ana) = try await Self.consentingSubject(store)
            let cube = try await setup.createCube(NewCube(owner: .subject(ana), name: "chat")).id
            let rest = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator)
            let agent = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator)
            let purpose = "personalisation"

            // Over REST.
            let api = { (method: String, path: String, json: Any?) in
                try await request(
                    URL(string: path, relativeTo: base)!, method: method, token: rest.token, purpose: purpose,
                    json: json)
            }
            let added = try await api("POST", "v1/cubes/\(cube)/memories", ["memories": [["text": "likes chess"]]])
            let restID = try #require((added.body["memories"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await api("POST", "v1/search", ["query": "chess", "subject": ana.rawValue])
            _ = try await api("GET", "v1/memories/\(restID)", nil)
            _ = try await api("PATCH", "v1/memories/\(restID)", ["text": "likes go"])
            _ = try await api("GET", "v1/subjects/\(ana)/memories?limit=20", nil)
            _ = try await api("DELETE", "v1/memories/\(restID)", nil)
            _ = try await api("GET", "v1/subjects/\(ana)/consent", nil)

            // Over MCP, the same operations as tool calls.
            let headers = ["MemVault-Subject": ana.rawValue, "MemVault-Purpose": purpose]
            let session = try #require(
                try await Self.post(base, token: agent.token, headers: headers, Self.initialize).session)
            let tool = { (id: Int, name: String, arguments: [String: Any]) in
                try await Self.post(base, token: agent.token, session: session, Self.call(id, name, arguments))
            }
            let remembered = try await tool(2, "remember", ["content": "likes chess", "cube": cube.rawValue])
            let text = ((remembered.result?["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            let mcpID = try #require(
                (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["id"] as? String,
                "\(text)")
            _ = try await tool(3, "recall", ["query": "chess"])
            _ = try await tool(4, "get", ["id": mcpID])
            _ = try await tool(5, "update", ["id": mcpID, "content": "likes go"])
            _ = try await tool(6, "list", [String: Any]())
            _ = try await tool(7, "forget", ["id": mcpID])
            _ = try await tool(8, "consent_status", [String: Any]())

            let auditor = try await store.tenant(TenantID("acme"), as: AccessContext(actor: "a", role: .auditor))
            /// Everything an entry records but who, when and which memory.
            func recorded(_ actor: String, _ id: String) async throws -> [String] {
                try await auditor.auditLog(AuditFilter(actor: actor)).map { entry in
                    [
                        entry.role, entry.action.rawValue, entry.purpose, entry.subject ?? "-", entry.cube ?? "-",
                        "\(entry.memories.count)", entry.effect.rawValue, entry.ruleIDs.joined(separator: ","),
                        entry.policyRevision, "\(entry.returned)", "\(entry.withheld)",
                        (entry.detail ?? "-").replacingOccurrences(of: id, with: "ID"),
                    ].joined(separator: " | ")
                }
            }
            let viaREST = try await recorded(rest.credential.id, restID)
            let viaMCP = try await recorded(agent.credential.id, mcpID)
            #expect(viaREST.count == 7, "\(viaREST)")
            #expect(
                viaMCP == viaREST, "MCP:\n\(viaMCP.joined(separator: "\n"))\nREST:\n\(viaREST.joined(separator: "\n"))")
        }
    }

    @Test(
        "a REST request naming its subject (MemVault-Subject) is confined to it: other subjects' ids are unknown",
        arguments: ServerBackend.allCases)
    func subjectScope(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let app = try await store.tenant(
                TenantID("acme"), as: AccessContext(actor: "setup", role: .application, purpose: "service-delivery"))
            var held: [(subject: SubjectID, memory: String)] = []
            for name in ["ana", "bob"] {
                let subject = try await app.resolveSubject(externalID: name).id
                let cube = try await app.createCube(NewCube(owner: .subject(subject), name: "chat")).id
                held.append((subject, try await app.addMemory(NewMemory(content: .text(name)), to: cube).id.rawValue))
            }
            let (ana, bob) = (held[0], held[1])
            let token = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator
            ).token
            func get(_ memory: String, scope: String?) async throws -> (status: Int, body: [String: Any]) {
                var request = URLRequest(url: base.appending(path: "v1/memories/\(memory)"))
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                request.setValue("service-delivery", forHTTPHeaderField: "MemVault-Purpose")
                if let scope { request.setValue(scope, forHTTPHeaderField: "MemVault-Subject") }
                let (data, response) = try await URLSession.shared.data(for: request)
                let body = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
                return (try #require(response as? HTTPURLResponse).statusCode, body)
            }
            #expect(try await get(ana.memory, scope: ana.subject.rawValue).status == 200)
            let other = try await get(bob.memory, scope: ana.subject.rawValue)
            #expect(other.status == 404 && other.body["code"] as? String == "not_found", "\(other.body)")
            #expect(!((other.body["detail"] as? String) ?? "").contains(bob.subject.rawValue))
            #expect(try await get(bob.memory, scope: nil).status == 200, "without the header, the tenant's view")
            #expect(try await get(ana.memory, scope: "not-a-subject").status == 400)
        }
    }
}
