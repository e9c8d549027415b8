import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Bundles and the subject's export over HTTP, between two tenants of one server, each acting through its own
/// credentials.
@Suite("HTTP API: portability")
struct PortabilityAPITests {
    @Test(
        "a bundle exported by one tenant's operator imports into another's; a changed or repeated one is refused",
        arguments: ServerBackend.allCases)
    func bundleBetweenTenants(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            let administrator = AccessContext(actor: "setup", role: .administrator)
            for tenant in ["acme", "globex"] { try await store.createTenant(TenantID(tenant), as: administrator) }
            var tokens: [String: String] = [:]
            for (tenant, role) in [
                ("globex", Role.administrator), ("acme", .administrator), ("acme", .application),
                ("acme", .dataProtectionOfficer),
            ] {
                let issued = try await store.createCredential(
                    NewCredential(tenant: TenantID(tenant), role: role), as: administrator)
                tokens["\(tenant) \(role.rawValue)"] = issued.token
            }
            func token(_ tenant: String, _ role: Role) -> String { tokens["\(tenant) \(role.rawValue)"]! }
            let app = try await store.tenant(
                TenantID("acme"), as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
            let subject = try await app.resolveSubject(externalID: "ana")
            try await app.setConsent(.given, subject: subject.id, purpose: "service-delivery")
            let cube = try await app.createCube(
                NewCube(owner: .subject(subject.id), name: "ana", defaultCategory: "profile"))
            let memory = try await app.addMemory(NewMemory(content: .text("speaks Portuguese")), to: cube.id)
            _ = try await app.updateMemory(memory.id, MemoryChanges(content: .text("speaks Portuguese and Spanish")))

            let globexOperator = token("globex", .administrator)
            let keys = try await request(
                URL(string: "v1/portability/keys", relativeTo: base)!, token: globexOperator)
            #expect(keys.status == 200)
            let recipient = try #require(keys.body["recipient"] as? String)

            let acmeOperator = token("acme", .administrator)
            let exported = try await exchange(
                URL(string: "v1/cubes/\(cube.id)/bundle", relativeTo: base)!, method: "POST", token: acmeOperator,
                purpose: "service-delivery", json: ["recipient": recipient])
            #expect(exported.response.statusCode == 200)
            #expect(exported.response.value(forHTTPHeaderField: "Content-Type") == "application/octet-stream")
            let hash = try #require(exported.response.value(forHTTPHeaderField: "MemVault-Content-Hash"))
            #expect(!String(decoding: exported.data, as: UTF8.self).contains("Portuguese"))

            let url = URL(string: "v1/bundles", relativeTo: base)!
            var tampered = exported.data
            tampered[tampered.count / 2] ^= 1
            let refused = try await request(
                url, method: "POST", token: globexOperator, purpose: "service-delivery", json: tampered)
            #expect(refused.status == 400 && refused.body["code"] as? String == "invalid_argument")
            let imported = try await request(
                url, method: "POST", token: globexOperator, purpose: "service-delivery", json: exported.data)
            #expect(imported.status == 201, "\(imported.body)")
            let cubes = try #require(imported.body["imported"] as? [[String: Any]])
            #expect(cubes.first?["memories"] as? Int == 1 && cubes.first?["versions"] as? Int == 2)
            let again = try await request(
                url, method: "POST", token: globexOperator, purpose: "service-delivery", json: exported.data)
            #expect(again.status == 409)
            // Acme's application may not migrate; its bundle route answers 403.
            let denied = try await request(
                URL(string: "v1/cubes/\(cube.id)/bundle", relativeTo: base)!, method: "POST",
                token: token("acme", .application), purpose: "service-delivery",
                json: ["recipient": recipient])
            #expect(denied.status == 403)

            let log = try await store.tenant(TenantID("globex"), as: AccessContext(actor: "a", role: .auditor))
                .auditLog()
            #expect(log.contains { $0.action == "import" && $0.detail?.hasSuffix("sha256:\(hash)") == true })

            // The officer's access export of Ana.
            let export = try await request(
                URL(string: "v1/subjects/\(subject.id)/export", relativeTo: base)!,
                token: token("acme", .dataProtectionOfficer), purpose: "data-subject-rights")
            #expect(export.status == 200, "\(export.body)")
            #expect(export.body["externalID"] as? String == "ana")
            #expect((export.body["cubes"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test(
        "MemOS and mem0 documents in, a MemOS dump out, and a module's life, over HTTP",
        arguments: ServerBackend.allCases)
    func foreignFormatsAndModules(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            let administrator = AccessContext(actor: "setup", role: .administrator)
            for tenant in ["acme", "vendor"] { try await store.createTenant(TenantID(tenant), as: administrator) }
            var tokens: [String: String] = [:]
            for (tenant, role) in [
                ("acme", Role.administrator), ("acme", .dataProtectionOfficer), ("vendor", .administrator),
            ] {
                tokens["\(tenant) \(role.rawValue)"] =
                    try await store.createCredential(
                        NewCredential(tenant: TenantID(tenant), role: role), as: administrator
                    )
                    .token
            }
            let acme = tokens["acme administrator"]!
            let now = ISO8601Milliseconds.format(Date())
            let memos = try await request(
                URL(string: "v1/imports/memos", relativeTo: base)!, method: "POST", token: acme,
                purpose: "service-delivery",
                json: [
                    "category": "profile",
                    "config": ["user_id": "ana", "cube_id": "ana/cube"],
                    "textualMemory": [
                        "nodes": [
                            ["id": "n1", "memory": "plays the cello", "metadata": ["created_at": now, "key": "music"]]
                        ],
                        "edges": [],
                    ],
                ])
            #expect(memos.status == 201, "\(memos.body)")
            let imported = try #require(memos.body["imported"] as? [[String: Any]])
            let cube = try #require((imported.first?["cube"] as? [String: Any])?["id"] as? String)
            let broken = try await request(
                URL(string: "v1/imports/memos", relativeTo: base)!, method: "POST", token: acme,
                purpose: "service-delivery", json: ["textualMemory": 42])
            #expect(broken.status == 400 && (broken.body["detail"] as? String)?.contains("neither") == true)
            let mem0 = try await request(
                URL(string: "v1/imports/mem0", relativeTo: base)!, method: "POST", token: acme,
                purpose: "service-delivery",
                json: [
                    "category": "profile",
                    "memories": [
                        "results": [["id": "a", "memory": "lives in Braga", "user_id": "rui", "created_at": now]]
                    ],
                ])
            #expect(mem0.status == 201, "\(mem0.body)")

            let dump = try await request(
                URL(string: "v1/cubes/\(cube)/memos-dump", relativeTo: base)!, method: "POST",
                token: tokens["acme data-protection-officer"], purpose: "data-subject-rights")
            #expect(dump.status == 200, "\(dump.body)")
            let nodes = try #require((dump.body["textualMemory"] as? [String: Any])?["nodes"] as? [[String: Any]])
            #expect(nodes.first?["id"] as? String == "n1" && nodes.first?["memory"] as? String == "plays the cello")
            #expect(((nodes.first?["metadata"] as? [String: Any])?["key"] as? String) == "music")

            // A module: packed by vendor, trusted and installed by acme, read-only, uninstalled.
            let app = try await store.tenant(
                TenantID("vendor"), as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
            let faq = try await app.createCube(NewCube(owner: .tenant, name: "faq"))
            _ = try await app.addMemory(NewMemory(content: .text("returns are free"), category: "general"), to: faq.id)
            let packed = try await exchange(
                URL(string: "v1/cubes/\(faq.id)/module", relativeTo: base)!, method: "POST",
                token: tokens["vendor administrator"], purpose: "service-delivery",
                json: ["name": "faq", "version": "1.0.0", "license": "CC0-1.0"])
            #expect(packed.response.statusCode == 200)
            let vendorKeys = try await request(
                URL(string: "v1/portability/keys", relativeTo: base)!, token: tokens["vendor administrator"])
            let trust = try await request(
                URL(string: "v1/modules/publishers", relativeTo: base)!, method: "POST", token: acme,
                json: ["key": vendorKeys.body["signer"] as? String ?? "", "name": "vendor"])
            #expect(trust.status == 200, "\(trust.body)")
            let installed = try await request(
                URL(string: "v1/modules/install", relativeTo: base)!, method: "POST", token: acme,
                purpose: "service-delivery", json: packed.data)
            #expect(installed.status == 201, "\(installed.body)")
            let moduleCube = try #require((installed.body["cube"] as? [String: Any])?["id"] as? String)
            let write = try await request(
                URL(string: "v1/cubes/\(moduleCube)/memories", relativeTo: base)!, method: "POST",
                token: try await store.createCredential(
                    NewCredential(tenant: TenantID("acme"), role: .application), as: administrator
                ).token, purpose: "service-delivery", json: ["memories": [["text": "everything is free"]]])
            #expect(write.status == 409 && write.body["code"] as? String == "read_only")
            let listed = try await request(URL(string: "v1/modules", relativeTo: base)!, token: acme)
            #expect((listed.body["modules"] as? [[String: Any]])?.count == 1)
            let removed = try await request(
                URL(string: "v1/modules/faq", relativeTo: base)!, method: "DELETE", token: acme)
            #expect(removed.status == 200)
        }
    }
}
