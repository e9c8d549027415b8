import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultServer
import NIOCore
import NIOPosix
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("HTTP server")
struct ServerTests {
    @Test(
        "health needs no credential; whoami answers for a valid token, and one problem for any other",
        arguments: ServerBackend.allCases)
    func authentication(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
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

    @Test(
        "subjects, cubes, memories and search over HTTP, for the credential's tenant and purpose only",
        arguments: ServerBackend.allCases)
    func memoryFlow(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
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
    @Test(
        "the officer files, runs and follows an erasure over HTTP; the receipt verifies; others are refused",
        arguments: ServerBackend.allCases)
    func erasure(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
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

@Suite("HTTP server: limits, readiness and metrics")
struct ServerLimitsTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    @Test(
        "a body over the limit is 413 before it is read; a request past its deadline is 503 request_timeout",
        arguments: ServerBackend.allCases)
    func limits(_ backend: ServerBackend) async throws {
        try await withServer(on: backend, configuration: .init(maximumBodyBytes: 1_024)) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let app = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator
            ).token
            let oversize = try await request(
                base.appending(path: "v1/subjects/resolve"), method: "POST", token: app, purpose: "service-delivery",
                json: ["externalId": String(repeating: "x", count: 2_000)])
            #expect(oversize.status == 413 && oversize.type.hasPrefix("application/problem+json"))
            #expect(oversize.body["code"] as? String == "limit_exceeded")
            let small = try await request(
                base.appending(path: "v1/subjects/resolve"), method: "POST", token: app, purpose: "service-delivery",
                json: ["externalId": "alice"])
            #expect(small.status == 200)
        }
        // A client that sends its head and part of its body, then stalls, is answered when the deadline passes.
        try await withServer(on: backend, configuration: .init(requestTimeout: .milliseconds(200))) { _, base in
            let port = try #require(base.port)
            let started = ContinuousClock.now
            let channel = try await ClientBootstrap(group: .singletonMultiThreadedEventLoopGroup)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let answer = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: "POST /v1/subjects/resolve HTTP/1.1\r\nHost: localhost\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"externalId\""))
                var received = ""
                for try await chunk in inbound {
                    received += String(buffer: chunk)
                    if received.contains("request_timeout") { break }
                }
                return received
            }
            #expect(answer.hasPrefix("HTTP/1.1 503") && answer.contains("request_timeout"), "\(answer)")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test(
        "an expired credential is refused like an unknown one; a tenant's administrator manages its own only",
        arguments: ServerBackend.allCases)
    func credentialScope(_ backend: ServerBackend) async throws {
        // The store's clock, moved by the test: expiry does not depend on how fast a loaded machine answers.
        let clock = Mutex(Date())
        try await withServer(on: backend, now: { clock.withLock { $0 } }) { store, base in
            for tenant in ["acme", "globex"] {
                try await store.createTenant(TenantID(tenant), policy: "default", as: Self.administrator)
            }
            let brief = try await store.createCredential(
                NewCredential(
                    tenant: TenantID("acme"), role: .application,
                    expiresAt: clock.withLock { $0 }.addingTimeInterval(60)),
                as: Self.administrator
            ).token
            #expect(try await request(base.appending(path: "v1/whoami"), token: brief).status == 200)
            clock.withLock { $0 = $0.addingTimeInterval(61) }
            let expired = try await request(base.appending(path: "v1/whoami"), token: brief)
            #expect(expired.status == 401 && expired.body["code"] as? String == "unauthenticated")

            let acmeAdmin = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .administrator), as: Self.administrator
            ).token
            let globexApp = try await store.createCredential(
                NewCredential(tenant: TenantID("globex"), role: .application), as: Self.administrator)
            let credentials = base.appending(path: "v1/credentials")
            let own = try await request(
                credentials, method: "POST", token: acmeAdmin, json: ["role": "application"])
            #expect(own.status == 201 && (own.body["credential"] as? [String: Any])?["tenant"] as? String == "acme")
            // Another tenant answers exactly as a tenant that does not exist.
            let foreign = try await request(
                credentials, method: "POST", token: acmeAdmin, json: ["tenant": "globex", "role": "application"])
            let absent = try await request(
                credentials, method: "POST", token: acmeAdmin, json: ["tenant": "initech", "role": "application"])
            #expect(foreign.status == 404 && absent.status == 404)
            #expect(
                foreign.body["code"] as? String == "unknown_tenant"
                    && absent.body["code"] as? String == "unknown_tenant")
            let listed = try #require(
                try await request(credentials, token: acmeAdmin).body["credentials"] as? [[String: Any]])
            #expect(!listed.isEmpty && listed.allSatisfy { $0["tenant"] as? String == "acme" })
            let revokeForeign = try await request(
                base.appending(path: "v1/credentials/\(globexApp.credential.id)"), method: "DELETE", token: acmeAdmin)
            #expect(revokeForeign.status == 404, "\(revokeForeign.body)")
            #expect(try await request(base.appending(path: "v1/whoami"), token: globexApp.token).status == 200)
            let tenants = try await request(base.appending(path: "v1/tenants"), token: acmeAdmin)
            #expect(tenants.status == 403)

            // Keys likewise: its own tenant's status and rotation; another tenant's is an unknown tenant.
            let keys = try await request(base.appending(path: "v1/keys"), token: acmeAdmin)
            let statuses = try #require(keys.body["tenants"] as? [[String: Any]])
            #expect(statuses.map { $0["tenant"] as? String } == ["acme"] && keys.body["masterKey"] == nil)
            let rotated = try await request(
                base.appending(path: "v1/tenants/acme/keys/rotate"), method: "POST", token: acmeAdmin)
            #expect(rotated.status == 200 && rotated.body["primaryVersion"] as? Int == 2, "\(rotated.body)")
            for tenant in ["globex", "initech"] {
                let rotate = try await request(
                    base.appending(path: "v1/tenants/\(tenant)/keys/rotate"), method: "POST", token: acmeAdmin)
                let status = try await request(
                    base.appending(path: "v1/keys").appending(queryItems: [URLQueryItem(name: "tenant", value: tenant)]
                    ),
                    token: acmeAdmin)
                #expect(rotate.status == 404 && rotate.body["code"] as? String == "unknown_tenant", "\(rotate.body)")
                #expect(status.status == 404 && status.body["code"] as? String == "unknown_tenant", "\(status.body)")
            }
            let globexKeys = try await store.keyStatus(TenantID("globex"), as: Self.administrator)
            #expect(globexKeys.first?.primaryVersion == 1, "the other tenant's key was not rotated")
        }
    }

    @Test(
        "past its requests per second or its storage quota a tenant is answered 429 with Retry-After",
        arguments: ServerBackend.allCases)
    func quotas(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            for tenant in ["acme", "globex"] {
                try await store.createTenant(TenantID(tenant), policy: "default", as: Self.administrator)
            }
            let root = try await store.createCredential(
                NewCredential(tenant: nil, role: .administrator), as: Self.administrator
            ).token
            let set = try await request(
                base.appending(path: "v1/tenants/acme/quotas"), method: "PUT", token: root,
                json: ["requestsPerSecond": 1, "maximumMemories": 2])
            #expect(set.status == 200, "\(set.body)")
            #expect((set.body["quotas"] as? [String: Any])?["requestsPerSecond"] as? Int == 1)
            let acme = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator
            ).token
            let globex = try await store.createCredential(
                NewCredential(tenant: TenantID("globex"), role: .application), as: Self.administrator
            ).token
            // Twelve at once against 1 per second: one passes, the rest are held back until a token refills (all
            // twelve could pass only if they were spread over eleven seconds).
            let answers = try await withThrowingTaskGroup(of: (Int, String?, Data).self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let answer = try await exchange(base.appending(path: "v1/whoami"), token: acme)
                        return (
                            answer.response.statusCode, answer.response.value(forHTTPHeaderField: "Retry-After"),
                            answer.data
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let limited = answers.filter { $0.0 == 429 }
            #expect(answers.count { $0.0 == 200 } >= 1 && !limited.isEmpty, "\(answers.map(\.0))")
            #expect(limited.allSatisfy { $0.1 == "1" })
            let problem = try limited.first.map { try JSONSerialization.jsonObject(with: $0.2) as? [String: Any] }
            #expect(problem??["code"] as? String == "rate_limited")
            // Another tenant is not affected.
            #expect(try await request(base.appending(path: "v1/whoami"), token: globex).status == 200)

            // Storage: with the rate lifted, two memories fit, a third does not.
            let lifted = try await request(
                base.appending(path: "v1/tenants/acme/quotas"), method: "PUT", token: root,
                json: ["maximumMemories": 2])
            #expect(lifted.status == 200 && (lifted.body["quotas"] as? [String: Any])?["requestsPerSecond"] == nil)
            let subject = try #require(
                try await request(
                    base.appending(path: "v1/subjects/resolve"), method: "POST", token: acme,
                    purpose: "service-delivery", json: ["externalId": "alice"]
                ).body["id"] as? String)
            let cube = try #require(
                try await request(
                    base.appending(path: "v1/cubes"), method: "POST", token: acme, purpose: "service-delivery",
                    json: ["subject": subject, "name": "chat", "defaultCategory": "conversation"]
                ).body["id"] as? String)
            let memories = base.appending(path: "v1/cubes/\(cube)/memories")
            let fits = try await request(
                memories, method: "POST", token: acme, purpose: "service-delivery",
                json: ["memories": [["text": "one"], ["text": "two"]]])
            #expect(fits.status == 201)
            let over = try await exchange(
                memories, method: "POST", token: acme, purpose: "service-delivery",
                json: ["memories": [["text": "three"]]])
            #expect(over.response.statusCode == 429 && over.response.value(forHTTPHeaderField: "Retry-After") == "60")
            let usage = try await request(base.appending(path: "v1/usage"), token: acme)
            #expect(usage.body["memories"] as? Int == 2 && usage.body["bytes"] as? Int == 6, "\(usage.body)")
        }
    }

    @Test(
        "readiness reports the store; /metrics counts requests by route template and status, never ids",
        arguments: ServerBackend.allCases)
    func readinessAndMetrics(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let ready = try await request(base.appending(path: "ready"))
            #expect(
                ready.status == 200 && ready.body["status"] as? String == "ready" && ready.body["tenants"] as? Int == 1)
            let app = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator
            ).token
            _ = try await request(
                base.appending(path: "v1/memories/mem_01M8SW2QQ3XNWXNS6GBFE186VE"), token: app,
                purpose: "service-delivery")
            let metrics = try await exchange(base.appending(path: "metrics"))
            let text = String(decoding: metrics.data, as: UTF8.self)
            #expect(metrics.response.statusCode == 200)
            #expect(
                text.contains("/v1/memories/{memoryId}") && text.contains("http_response_status_code=\"404\""),
                "\(text.prefix(2_000))")
            #expect(!text.contains("mem_01M8SW2QQ3XNWXNS6GBFE186VE"))
            #expect(text.contains("memvault_audit_appends"))
        }
    }
}

@Suite("HTTP API: what fuzzing found")
struct FuzzRegressionTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    @Test(
        "a subject that does not exist is 404 for holds, restrictions, erasure and audit filters, never a 500",
        arguments: ServerBackend.allCases)
    func unknownSubject(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let officer = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .dataProtectionOfficer), as: Self.administrator
            ).token
            let nobody = "sub_00000000000000000000000000000000"
            let attempts: [(String, String, Any?)] = [
                ("POST", "v1/holds", ["subject": nobody, "reason": "case 1"]),
                ("POST", "v1/restrictions", ["subject": nobody, "ground": "legal-claims"]),
                ("POST", "v1/erasure-requests", ["subject": nobody, "ground": "objection"]),
                ("GET", "v1/audit/entries?subject=\(nobody)", nil),
            ]
            for (method, path, body) in attempts {
                let answer = try await request(
                    URL(string: path, relativeTo: base)!, method: method, token: officer,
                    purpose: "data-subject-rights", json: body)
                #expect(
                    answer.status == 404 && answer.body["code"] as? String == "not_found", "\(path): \(answer.body)")
            }
            let malformed = try await request(
                base.appending(path: "v1/audit/proofs/consistency"), method: "POST", token: officer,
                json: ["checkpoint": "00"])
            #expect(malformed.status == 400 && malformed.body["code"] as? String == "invalid_argument")
        }
    }

    @Test(
        "retiring a key version that does not exist is 404, and the primary one 409 key_in_use, never a 500",
        arguments: ServerBackend.allCases)
    func keyRetirement(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let administrator = try await store.createCredential(
                NewCredential(tenant: nil, role: .administrator), as: Self.administrator
            ).token
            let retire = { (version: Int) in
                try await request(
                    base.appending(path: "v1/tenants/acme/keys/\(version)/retire"), method: "POST",
                    token: administrator)
            }
            let absent = try await retire(4_294_967_294)
            #expect(absent.status == 404 && absent.body["code"] as? String == "not_found", "\(absent.body)")
            let primary = try await retire(1)
            #expect(primary.status == 409 && primary.body["code"] as? String == "key_in_use", "\(primary.body)")
        }
    }
}
