import Foundation
import MemVault
import MemVaultPolicy
import Testing

@testable import MemVaultServer

/// The hot routes build their answers field by field; the rest go through the JSON bridge. Both must say the same.
@Suite("HTTP API: the memory schema built directly")
struct MemorySchemaTests {
    @Test(
        "agrees with the JSON bridge for text and binary memories, every status and with or without optional fields",
        arguments: ServerBackend.allCases)
    func agreesWithTheBridge(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, _ in
            let administrator = AccessContext(actor: "test-admin", role: .administrator)
            try await store.createTenant(TenantID("acme"), policy: "default", as: administrator)
            let app = try await store.tenant(
                TenantID("acme"), as: AccessContext(actor: "test-app", role: .application, purpose: "service-delivery"))
            let subject = try await app.resolveSubject(externalID: "ana")
            let cube = try await app.createCube(
                NewCube(owner: .subject(subject.id), name: "chat", defaultCategory: "conversation"))
            let plain = try await app.addMemory(NewMemory(content: .text("plain")), to: cube.id)
            let full = try await app.addMemory(
                NewMemory(
                    content: .binary(bytes: [0, 1, 2, 255], mediaType: "application/octet-stream"), type: .episodic,
                    category: "profile", tags: ["a", "b"], source: .document, sourceDetail: "upload",
                    confidence: 0.25, occurredAt: Date(timeIntervalSince1970: 1_700_000_000.123),
                    validFrom: Date(timeIntervalSince1970: 1_700_000_000),
                    validUntil: Date(timeIntervalSince1970: 1_800_000_000), attributes: ["k": "v"]),
                to: cube.id)
            let updated = try await app.updateMemory(plain.id, MemoryChanges(content: .text("second")))
            let archived = try await app.archiveMemory(full.id)
            for memory in [plain, full, updated, archived] {
                let direct = try Components.Schemas.Memory(memory)
                let bridged: Components.Schemas.Memory = try JSONBridge.convert(memory)
                #expect(direct == bridged, "\(memory.id) v\(memory.version)")
            }
            #expect(updated.supersedes != nil && archived.status == .archived)
        }
    }
}
