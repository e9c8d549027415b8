import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("HTTP server")
struct ServerTests {
    @Test("health needs no credential; whoami answers for a valid token, and one problem for any other")
    func authentication() async throws {
        try await withServer { store, base in
            let health = try await request(base.appending(path: "health"))
            #expect(health.status == 200 && health.body["status"] as? String == "ok")

            let administrator = AccessContext(actor: "test-admin", role: .administrator)
            try await store.createTenant(TenantID("acme"), policy: "default", as: administrator)
            let issued = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application, purposes: ["personalisation"]),
                as: administrator)
            let whoami = base.appending(path: "v1/whoami")
            let me = try await request(whoami, token: issued.token)
            #expect(me.status == 200, "\(me.body)")
            #expect(me.body["id"] as? String == issued.credential.id && me.body["tenant"] as? String == "acme")
            #expect(
                me.body["role"] as? String == "application" && me.body["purposes"] as? [String] == ["personalisation"])

            for token in [nil, "mvk_nonsense", issued.token + "x"] {
                let refused = try await request(whoami, token: token)
                #expect(refused.status == 401 && refused.type.hasPrefix("application/problem+json"))
                #expect(refused.body["code"] as? String == "unauthenticated")
            }
            _ = try await store.revokeCredential(issued.credential.id, as: administrator)
            #expect(try await request(whoami, token: issued.token).status == 401)
        }
    }
}

@Suite("HTTP API")
struct APITests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    @Test("subjects, cubes, memories and search over HTTP, for the credential's tenant and purpose only")
    func memoryFlow() async throws {
        try await withServer { store, base in
            for tenant in ["acme", "globex"] {
                try await store.createTenant(TenantID(tenant), policy: "default", as: Self.administrator)
            }
            let acme = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application, purposes: ["service-delivery"]),
                as: Self.administrator
            ).token
            let globex = try await store.createCredential(
                NewCredential(tenant: TenantID("globex"), role: .application), as: Self.administrator
            ).token
            let purpose = "service-delivery"
            let subject = try await request(
                base.appending(path: "v1/subjects/resolve"), method: "POST", token: acme, purpose: purpose,
                json: ["externalId": "alice@example.com"])
            #expect(subject.status == 200, "\(subject.body)")
            let subjectID = try #require(subject.body["id"] as? String)
            #expect(!String(describing: subject.body).contains("alice@example.com"))

            let cube = try await request(
                base.appending(path: "v1/cubes"), method: "POST", token: acme, purpose: purpose,
                json: ["subject": subjectID, "name": "chat", "defaultCategory": "conversation"])
            #expect(cube.status == 201, "\(cube.body)")
            let cubeID = try #require(cube.body["id"] as? String)
            let added = try await request(
                base.appending(path: "v1/cubes/\(cubeID)/memories"), method: "POST", token: acme, purpose: purpose,
                json: ["memories": [["text": "prefers green tea", "tags": ["drinks"]], ["text": "lives in Lisbon"]]])
            #expect(added.status == 201, "\(added.body)")
            let memories = try #require(added.body["memories"] as? [[String: Any]])
            let memoryID = try #require(memories.first?["id"] as? String)

            let read = try await request(base.appending(path: "v1/memories/\(memoryID)"), token: acme, purpose: purpose)
            #expect(
                read.status == 200
                    && (read.body["content"] as? [String: Any])?["text"] as? String == "prefers green tea")
            let found = try await request(
                base.appending(path: "v1/search"), method: "POST", token: acme, purpose: purpose,
                json: ["query": "tea", "subject": subjectID])
            #expect((found.body["hits"] as? [[String: Any]])?.count == 1, "\(found.body)")

            // Another tenant's id answers exactly like an id that does not exist.
            let foreign = try await request(
                base.appending(path: "v1/memories/\(memoryID)"), token: globex, purpose: purpose)
            let missing = try await request(
                base.appending(path: "v1/memories/mem_01M8SW2QQ3XNWXNS6GBFE186VE"), token: acme, purpose: purpose)
            #expect(foreign.status == 404 && missing.status == 404)
            #expect(foreign.body["code"] as? String == missing.body["code"] as? String)
            #expect(foreign.type.hasPrefix("application/problem+json"))

            // A purpose the credential is not limited to, or one the policy does not declare: refused.
            let other = try await request(
                base.appending(path: "v1/memories/\(memoryID)"), token: acme, purpose: "personalisation")
            #expect(other.status == 403 && other.body["code"] as? String == "denied")
            let unknown = try await request(
                base.appending(path: "v1/memories/\(memoryID)"), token: globex, purpose: "x")
            #expect(unknown.status == 400, "\(unknown.body)")

            // Malformed JSON, unknown fields and wrong types are 400s; no credential is a 401.
            for raw in ["{", "{\"externalId\": 7}", "{\"externalId\": \"a\", \"role\": \"administrator\"}"] {
                let bad = try await request(
                    base.appending(path: "v1/subjects/resolve"), method: "POST", token: acme, purpose: purpose,
                    raw: Data(raw.utf8))
                #expect(bad.status == 400, "\(raw): \(bad.status) \(bad.body)")
            }
            let anonymous = try await request(base.appending(path: "v1/memories/\(memoryID)"), purpose: purpose)
            #expect(anonymous.status == 401 && anonymous.body["code"] as? String == "unauthenticated")

            let deleted = try await request(
                base.appending(path: "v1/memories/\(memoryID)"), method: "DELETE", token: acme, purpose: purpose)
            #expect(deleted.status == 204)
            #expect(
                try await request(base.appending(path: "v1/memories/\(memoryID)"), token: acme, purpose: purpose).status
                    == 404)
        }
    }
}

@Suite("HTTP API: erasure")
struct ErasureAPITests {
    @Test("the officer files, runs and follows an erasure over HTTP; the receipt verifies; others are refused")
    func erasure() async throws {
        try await withServer { store, base in
            let administrator = AccessContext(actor: "test-admin", role: .administrator)
            try await store.createTenant(TenantID("acme"), policy: "default", as: administrator)
            let app = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: administrator
            ).token
            let officer = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .dataProtectionOfficer), as: administrator
            ).token
            let service = "service-delivery"
            let subject = try #require(
                try await request(
                    base.appending(path: "v1/subjects/resolve"), method: "POST", token: app, purpose: service,
                    json: ["externalId": "alice@example.com"]
                ).body["id"] as? String)
            let cube = try #require(
                try await request(
                    base.appending(path: "v1/cubes"), method: "POST", token: app, purpose: service,
                    json: ["subject": subject, "name": "chat", "defaultCategory": "conversation"]
                ).body["id"] as? String)
            _ = try await request(
                base.appending(path: "v1/cubes/\(cube)/memories"), method: "POST", token: app, purpose: service,
                json: ["memories": (0..<5).map { ["text": "note \($0) about tea"] }])

            let filing: [String: Any] = ["externalId": "alice@example.com", "ground": "consent-withdrawn"]
            let refused = try await request(
                base.appending(path: "v1/erasure-requests"), method: "POST", token: app, purpose: service, json: filing)
            #expect(refused.status == 403, "\(refused.body)")
            let filed = try await request(
                base.appending(path: "v1/erasure-requests"), method: "POST", token: officer,
                purpose: "data-subject-rights", json: filing)
            #expect(filed.status == 201 && filed.body["state"] as? String == "received", "\(filed.body)")
            let id = try #require(filed.body["id"] as? String)

            let run = try await request(
                base.appending(path: "v1/erasure-requests/\(id)/run"), method: "POST", token: officer,
                purpose: "data-subject-rights")
            #expect(run.status == 200 && run.body["state"] as? String == "completed", "\(run.body)")
            #expect((run.body["erased"] as? [String: Int])?["conversation"] == 5)
            let status = try await request(base.appending(path: "v1/erasure-requests/\(id)"), token: officer)
            #expect(status.body["keysDestroyed"] as? Int ?? 0 >= 1)

            var receiptRequest = URLRequest(url: base.appending(path: "v1/erasure-requests/\(id)/receipt"))
            receiptRequest.setValue("Bearer \(officer)", forHTTPHeaderField: "Authorization")
            let (document, _) = try await URLSession.shared.data(for: receiptRequest)
            let verifier = try await store.tenant(TenantID("acme"), as: .init(actor: "test-auditor", role: .auditor))
                .auditVerifierKey()
            let verification = ErasureReceipt.verify(Array(document), verifier: verifier)
            #expect(verification.isValid, "\(verification.checks)")
            let gone = try await request(
                base.appending(path: "v1/search"), method: "POST", token: app, purpose: service,
                json: ["query": "tea", "subject": subject])
            #expect(gone.status == 404)
        }
    }
}
