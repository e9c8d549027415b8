import MemVault
import MemVaultCrypto
import MemVaultPostgresTestSupport
import Testing

@testable import MemVaultPostgres

/// The key store on PostgreSQL, shared by servers that each hold the master key: keys made by one open under the
/// other, a key one destroys stops opening on the other, and a wrong master key is refused.
@Suite("PostgreSQL key store")
struct PostgresKeyStorageTests {
    static let masterKey = String(repeating: "5a", count: 32)

    static func provider(_ hex: String = masterKey) -> EnvironmentMasterKeyProvider {
        EnvironmentMasterKeyProvider(environment: ["MEMVAULT_MASTER_KEY": hex])
    }

    @Test("two servers share keys; a destroyed key stops working on both; another master key is refused")
    func sharedBetweenServers() async throws {
        let url = try await TestPostgresServer.freshDatabase()
        let (firstStore, secondStore) = (try PostgresKeyStorage(url: url), try PostgresKeyStorage(url: url))
        defer {
            firstStore.close()
            secondStore.close()
        }
        let first = try KeyHierarchy.create(in: firstStore, masterKeyProvider: Self.provider())
        let second = try KeyHierarchy.open(secondStore, masterKeyProvider: Self.provider())
        #expect(first.installationID == second.installationID)

        let tenant = try TenantID("acme")
        let subject = try SubjectID.random()
        try first.createTenant(tenant)
        try first.createDataKey(tenant, owner: .subject(subject))
        let sealing = try first.encryptionKey(tenant, owner: .subject(subject))
        let opening = try second.decryptionKey(tenant, owner: .subject(subject), version: sealing.version)
        #expect(opening.version == sealing.version)

        let before = try secondStore.changeCounter()
        #expect(try first.destroyDataKeys(tenant, owner: .subject(subject)) == 1)
        #expect(try secondStore.changeCounter() > before)
        try second.refresh()
        #expect(throws: MemVaultError.self) {
            try second.decryptionKey(tenant, owner: .subject(subject), version: sealing.version)
        }
        try firstStore.purgeRemovedKeys()
        #expect(try secondStore.read { try $0.dataKeys(tenant) }.allSatisfy { $0.owner != .subject(subject) })

        let wrong = #expect(throws: MemVaultError.self) {
            try KeyHierarchy.open(secondStore, masterKeyProvider: Self.provider(String(repeating: "6b", count: 32)))
        }
        #expect(wrong?.code == .wrongMasterKey)
    }
}
