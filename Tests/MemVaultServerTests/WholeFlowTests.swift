import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The product's main flow, over real HTTP only, from the bootstrap administrator credential on.
@Suite("HTTP API: the whole flow")
struct WholeFlowTests {
    @Test(
        "tenant and credentials, two subjects, search with and without consent, withdrawal, erasure, audit and receipt",
        arguments: ServerBackend.allCases)
    func wholeFlow(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            let api = { (path: String) in URL(string: path, relativeTo: base)! }
            // What `memvault serve` prints on first start.
            let root = try await store.createCredential(
                NewCredential(tenant: nil, role: .administrator),
                as: AccessContext(actor: "cli:bootstrap", role: .administrator)
            ).token

            let tenant = try await request(api("v1/tenants"), method: "POST", token: root, json: ["id": "acme"])
            #expect(tenant.status == 201 && tenant.body["policy"] as? String == "default", "\(tenant.body)")
            var tokens: [String: String] = [:]
            for role in ["application", "data-protection-officer", "auditor"] {
                let issued = try await request(
                    api("v1/credentials"), method: "POST", token: root, json: ["tenant": "acme", "role": role])
                #expect(issued.status == 201, "\(issued.body)")
                tokens[role] = try #require(issued.body["token"] as? String)
            }
            let app = try #require(tokens["application"])
            let officer = try #require(tokens["data-protection-officer"])
            let auditor = try #require(tokens["auditor"])

            // Two subjects, each with a cube of profile facts, stored to deliver the service.
            var subjects: [String: String] = [:]
            for (name, fact) in [("alice@example.com", "loves oolong tea"), ("bob@example.com", "drinks black tea")] {
                let subject = try await request(
                    api("v1/subjects/resolve"), method: "POST", token: app, purpose: "service-delivery",
                    json: ["externalId": name])
                let id = try #require(subject.body["id"] as? String)
                subjects[name] = id
                let cube = try await request(
                    api("v1/cubes"), method: "POST", token: app, purpose: "service-delivery",
                    json: ["subject": id, "name": "profile", "defaultCategory": "profile"])
                let cubeID = try #require(cube.body["id"] as? String, "\(cube.body)")
                let added = try await request(
                    api("v1/cubes/\(cubeID)/memories"), method: "POST", token: app, purpose: "service-delivery",
                    json: ["memories": [["text": fact, "tags": ["drinks"]]]])
                #expect(added.status == 201, "\(added.body)")
            }
            let alice = try #require(subjects["alice@example.com"])
            let bob = try #require(subjects["bob@example.com"])

            // Personalisation rests on consent: Alice gives it, Bob does not, so searching his memories is refused.
            let search = { (subject: String) in
                try await request(
                    api("v1/search"), method: "POST", token: app, purpose: "personalisation",
                    json: ["query": "tea", "subject": subject])
            }
            let consent = try await request(
                api("v1/subjects/\(alice)/consent/personalisation"), method: "PUT", token: app,
                purpose: "personalisation", json: ["state": "given", "evidence": "ticked the box on 1 Dec"])
            #expect(consent.status == 200 && consent.body["state"] as? String == "given", "\(consent.body)")
            let withoutConsent = try await search(bob)
            #expect(withoutConsent.status == 403 && withoutConsent.body["code"] as? String == "denied")
            #expect((withoutConsent.body["detail"] as? String)?.contains("memvault:consent") == true)
            let withConsent = try await search(alice)
            let hits = try #require(withConsent.body["hits"] as? [[String: Any]])
            #expect(hits.count == 1)
            #expect(
                ((hits.first?["memory"] as? [String: Any])?["content"] as? [String: Any])?["text"] as? String
                    == "loves oolong tea")

            // Withdrawal applies to the very next request.
            _ = try await request(
                api("v1/subjects/\(alice)/consent/personalisation"), method: "PUT", token: app,
                purpose: "personalisation", json: ["state": "withdrawn"])
            let withdrawn = try await search(alice)
            #expect(withdrawn.status == 403 && (withdrawn.body["detail"] as? String)?.contains("withdrawn") == true)

            // The officer erases Bob; Alice is untouched.
            let filed = try await request(
                api("v1/erasure-requests"), method: "POST", token: officer, purpose: "data-subject-rights",
                json: ["subject": bob, "ground": "objection"])
            let requestID = try #require(filed.body["id"] as? String, "\(filed.body)")
            let run = try await request(
                api("v1/erasure-requests/\(requestID)/run"), method: "POST", token: officer,
                purpose: "data-subject-rights")
            #expect(run.body["state"] as? String == "completed", "\(run.body)")
            #expect(try await search(bob).status == 404)
            let aliceStill = try await request(api("v1/subjects/\(alice)"), token: app, purpose: "service-delivery")
            #expect(aliceStill.status == 200)

            // The auditor verifies the log and the receipt with the verifier key, all over HTTP.
            let verification = try await request(api("v1/audit/verify"), method: "POST", token: auditor, json: [:])
            #expect(verification.body["valid"] as? Bool == true, "\(verification.body)")
            let checkpoint = try await request(api("v1/audit/checkpoints"), method: "POST", token: auditor)
            let note = try #require(checkpoint.body["checkpoint"] as? String)
            _ = try await search(alice)
            let consistent = try await request(
                api("v1/audit/proofs/consistency"), method: "POST", token: auditor, json: ["checkpoint": note])
            #expect(consistent.body["verified"] as? Bool == true, "\(consistent.body)")
            let key = try #require(
                try await request(api("v1/audit/key"), token: auditor).body["verifierKey"] as? String)
            let receipt = try await exchange(api("v1/erasure-requests/\(requestID)/receipt"), token: auditor)
            #expect(receipt.response.statusCode == 200)
            let checked = ErasureReceipt.verify(Array(receipt.data), verifier: try CheckpointVerifier(verifierKey: key))
            #expect(checked.isValid, "\(checked.checks)")

            // The log names no one: no external id, content, or evidence; subjects only as pseudonyms.
            let log = try await exchange(api("v1/audit/entries"), token: auditor)
            let text = String(decoding: log.data, as: UTF8.self)
            #expect(log.response.statusCode == 200 && text.contains("\"sequence\""))
            for secret in ["alice@example.com", "bob@example.com", "oolong", "ticked the box", alice, bob] {
                #expect(!text.contains(secret), "the audit log shows '\(secret)'")
            }
        }
    }
}
