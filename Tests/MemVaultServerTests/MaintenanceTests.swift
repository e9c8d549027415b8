import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy
import MemVaultServer
import Synchronization
import Testing

@Suite("HTTP server: background services")
struct MaintenanceTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    /// Polls `condition` every 50 ms for up to 10 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test(
        "the server sweeps retention and signs due checkpoints on its own, for every tenant",
        arguments: ServerBackend.allCases)
    func retentionAndCheckpoints(_ backend: ServerBackend) async throws {
        let offset = Mutex<TimeInterval>(0)
        let configuration = MemVaultServer.Configuration(
            retentionInterval: .milliseconds(100), checkpointInterval: .milliseconds(100))
        try await withServer(
            on: backend,
            configuration: configuration, auditCheckpointInterval: 5,
            now: { Date().addingTimeInterval(offset.withLock { $0 }) }
        ) { store, _ in
            for tenant in ["acme", "globex"] {
                try await store.createTenant(TenantID(tenant), policy: "default", as: Self.administrator)
            }
            let app = AccessContext(actor: "test-app", role: .application, purpose: "service-delivery")
            let acme = try await store.tenant(TenantID("acme"), as: app)
            let cube = try await acme.createCube(NewCube(owner: .tenant, name: "chat", defaultCategory: "conversation"))
            _ = try await acme.addMemories(
                (0..<8).map { NewMemory(content: .text("said \($0)")) }, to: cube.id)
            let globex = try await store.tenant(TenantID("globex"), as: app)
            let kept = try await globex.createCube(NewCube(owner: .tenant, name: "facts", defaultCategory: "profile"))
            _ = try await globex.addMemory(NewMemory(content: .text("a profile fact")), to: kept.id)

            // Checkpoints: each log that grew by five entries gets one, without anyone asking.
            let auditor = AccessContext(actor: "test-auditor", role: .auditor)
            #expect(
                try await Self.eventually {
                    try await store.tenant(TenantID("acme"), as: auditor).verifyAudit().checkpoints
                        .contains { $0.source == "stored" && $0.valid }
                })

            // Retention: 100 days on, acme's conversation (kept 90 days) is purged; globex's profile (2 years) stays.
            offset.withLock { $0 = 100 * 86_400 }
            #expect(try await Self.eventually { try await acme.usage().memories == 0 })
            #expect(try await globex.usage().memories == 1)
            let log = try await store.tenant(TenantID("acme"), as: auditor).auditLog()
            #expect(log.contains { $0.actor == "memvault:retention" && $0.memories.count == 8 })
        }
    }

    /// Three letters counted: enough to tell the indexer's vectors from none.
    struct LetterCountEmbedder: Embedder {
        let name = "letter-count"
        let dimension = 3

        func embed(_ texts: [String]) async throws -> [[Float]] {
            texts.map { text in ["a", "e", "t"].map { letter in Float(text.filter { String($0) == letter }.count) } }
        }
    }

    @Test(
        "with an embedder, the server's indexer embeds what waits; search over HTTP then embeds the query",
        arguments: ServerBackend.allCases)
    func indexer(_ backend: ServerBackend) async throws {
        let configuration = MemVaultServer.Configuration(retentionInterval: nil, indexInterval: .milliseconds(100))
        try await withServer(on: backend, configuration: configuration, embedder: LetterCountEmbedder()) {
            store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let app = AccessContext(actor: "test-app", role: .application, purpose: "service-delivery")
            let acme = try await store.tenant(TenantID("acme"), as: app)
            let cube = try await acme.createCube(
                NewCube(
                    owner: .tenant, name: "chat", defaultCategory: "conversation", embeddingDimension: 3,
                    embedder: "letter-count"))
            _ = try await acme.addMemories(
                ["a tea at eight", "the cat sat", "nothing here"].map { NewMemory(content: .text($0)) }, to: cube.id)
            #expect(try await acme.embeddingBacklog(cube.id).awaiting == 3)
            #expect(try await Self.eventually { try await acme.embeddingBacklog(cube.id).awaiting == 0 })

            let token = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator
            ).token
            let found = try await request(
                base.appending(path: "v1/search"), method: "POST", token: token, purpose: "service-delivery",
                json: ["query": "tea", "cubes": [cube.id.rawValue]])
            #expect(found.status == 200 && found.body["mode"] as? String == "hybrid", "\(found.body)")
        }
    }
}
