import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultPostgresTestSupport
import PostgresNIO
import Testing

@testable import MemVaultPostgres

/// The key store in a database of its own (`--postgres-keys`): the data's database then holds no key, wrapped or
/// not, so its WAL archives and backups hold only what the destroyed keys protected.
@Suite("PostgreSQL: the key store apart from the data")
struct PostgresKeyStoreApartTests {
    static let policies = PolicyRegistry(
        folder: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies"))

    static func schemas(on url: PostgresURL) async throws -> Set<String> {
        let workers = PostgresWorkers(url: url, threads: 1, logger: Logger(label: "test"))
        do {
            let names = try await workers.run { connection in
                try connection.rows(
                    "SELECT nspname::text AS name FROM pg_namespace WHERE nspname LIKE 'memvault_%'", "listing schemas"
                ).map { try Columns($0.makeRandomAccess(), what: "schemas")["name", as: String.self] }
            }
            await workers.shutdown()
            return Set(names)
        } catch {
            await workers.shutdown()
            throw error
        }
    }

    @Test("the data's database holds no key; the installation opens only with its key store's database")
    func keyStoreApart() async throws {
        let (data, keyStore) = (
            try await TestPostgresServer.freshDatabase(), try await TestPostgresServer.freshDatabase()
        )
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-keys-apart-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let masterKey = MasterKeySource.keyFile(path: folder.appending(path: "master.key").path)
        let installation = try PostgresInstallation.initialise(url: data, keyStore: keyStore, masterKey: masterKey)
        #expect(installation.keyStoreURL.description == keyStore.description)
        let store = try await MemoryStore.open(installation, policies: Self.policies, threads: 2)
        let acme = try TenantID("acme")
        try await store.createTenant(acme, policy: "default", as: AccessContext(actor: "admin", role: .administrator))
        let app = try await store.tenant(
            acme, as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "notes"))
        let memory = try await app.addMemory(
            NewMemory(content: .text("kept apart"), category: "conversation"), to: cube.id)
        try await store.close()
        installation.close()

        #expect(try await Self.schemas(on: data) == ["memvault_catalog"])
        #expect(try await Self.schemas(on: keyStore) == ["memvault_keys"])
        let refused = #expect(throws: MemVaultError.self) {
            _ = try PostgresInstallation.open(url: data, masterKey: masterKey)
        }
        #expect(refused?.code == .dataFolderMissing)
        #expect(refused?.message.contains("--postgres-keys") == true)

        let reopened = try PostgresInstallation.open(url: data, keyStore: keyStore, masterKey: masterKey)
        let again = try await MemoryStore.open(reopened, policies: Self.policies, threads: 2)
        let reader = try await again.tenant(
            acme, as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
        #expect(try await reader.memory(memory.id).content == .text("kept apart"))
        try await again.close()
        reopened.close()
    }
}
