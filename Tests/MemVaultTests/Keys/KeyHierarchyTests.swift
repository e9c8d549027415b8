import Foundation
import GRDB
import MemVault
import MemVaultCrypto
import MemVaultSQLite
import MemVaultTestSupport
import Testing

@Suite("Key hierarchy")
struct KeyHierarchyTests {
    let root: TemporaryFolder
    let acme: TenantID
    let subject: SubjectID
    let binding: [UInt8]

    init() throws {
        root = try TemporaryFolder()
        acme = try TenantID("acme")
        subject = try SubjectID.random()
        binding = Array("tenant=acme;cube=c;memory=m".utf8)
    }

    private var dataPath: String { root.appending("data") }

    private func installation(_ configuration: KeyHierarchy.Configuration = .init()) throws -> Installation {
        if FileManager.default.fileExists(atPath: dataPath) {
            return try Installation.open(at: dataPath, masterKey: .keyFile(path: nil), configuration: configuration)
        }
        return try Installation.initialise(at: dataPath, masterKey: .keyFile(path: nil), configuration: configuration)
    }

    private func seal(_ keys: KeyHierarchy, _ owner: DataKeyOwner, _ text: String) throws -> Envelope {
        try Envelope.seal(Array(text.utf8), with: keys.encryptionKey(acme, owner: owner), associatedData: binding)
    }

    private func open(_ keys: KeyHierarchy, _ owner: DataKeyOwner, _ envelope: Envelope) throws -> String {
        let key = try keys.decryptionKey(acme, owner: owner, version: envelope.keyVersion)
        return String(decoding: try envelope.open(with: key, associatedData: binding), as: UTF8.self)
    }

    @Test("data sealed under subject and tenant keys opens after the installation is reopened")
    func roundTripAcrossReopen() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        try keys.createDataKey(acme, owner: .subject(subject))
        let personal = try seal(keys, .subject(subject), "personal")
        let shared = try seal(keys, .tenant, "shared")
        #expect(personal.keyID == "subject:\(subject)" && shared.keyID == "tenant")
        let reopened = try installation().keys
        #expect(try open(reopened, .subject(subject), personal) == "personal")
        #expect(try open(reopened, .tenant, shared) == "shared")
        // The subject's key is not the tenant's key.
        let tenantKey = try reopened.decryptionKey(acme, owner: .tenant, version: 1)
        #expect(throws: CryptoError.self) { try personal.open(with: tenantKey, associatedData: binding) }
    }

    @Test("tenants: duplicates and unknown tenants are refused by name")
    func tenantErrors() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        #expect(throws: MemVaultError(.tenantExists, "tenant 'acme' already exists")) { try keys.createTenant(acme) }
        let unknown = try TenantID("globex")
        for operation in [
            { try keys.rotateTenantKey(unknown) }, { try keys.rewrapDataKeys(unknown) },
            { try keys.createDataKey(unknown, owner: .tenant) }, { try keys.status(unknown) },
        ] as [() throws -> Any] {
            let error = try #require(throws: MemVaultError.self) { try operation() }
            #expect(error.code == .unknownTenant)
        }
        #expect(throws: MemVaultError.self) { try TenantID("Bad Name") }
        #expect(throws: MemVaultError.self) { try TenantID("") }
        #expect(throws: MemVaultError.self) { try TenantID("-leading") }
    }

    @Test("rotation makes a new primary; rewrap moves data keys without re-encrypting; then the old version retires")
    func rotateRewrapRetire() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        try keys.createDataKey(acme, owner: .subject(subject))
        let before = try seal(keys, .subject(subject), "written under tenant key v1")

        #expect(try keys.rotateTenantKey(acme) == 2)
        var status = try #require(try keys.status(acme).first)
        #expect(status.primaryVersion == 2)
        #expect(status.tenantKeys.map(\.state) == ["active", "primary"])
        // Wrapped by v1: the tenant's shared data key, its pseudonym key and the subject's key.
        #expect(status.tenantKeys.map(\.dataKeysWrapped) == [3, 0])

        // A subject created after rotation is wrapped by the new primary.
        let newcomer = try SubjectID.random()
        try keys.createDataKey(acme, owner: .subject(newcomer))
        #expect(try keys.status(acme).first?.tenantKeys.map(\.dataKeysWrapped) == [3, 1])

        let retireEarly = try #require(throws: MemVaultError.self) { try keys.retireTenantKey(acme, version: 1) }
        #expect(retireEarly.code == .keyInUse && retireEarly.message.contains("memvault keys rewrap"))
        let retirePrimary = try #require(throws: MemVaultError.self) { try keys.retireTenantKey(acme, version: 2) }
        #expect(retirePrimary.code == .keyInUse)

        #expect(try keys.rewrapDataKeys(acme, batchSize: 1) == 3)
        #expect(try keys.rewrapDataKeys(acme) == 0)
        try keys.retireTenantKey(acme, version: 1)
        status = try #require(try keys.status(acme).first)
        #expect(status.tenantKeys.map(\.state) == ["retired", "primary"])
        #expect(status.tenantKeys.map(\.dataKeysWrapped) == [0, 4])

        // The ciphertext was never touched and still opens, from a fresh process with an empty key cache.
        #expect(try open(installation().keys, .subject(subject), before) == "written under tenant key v1")
        #expect(throws: MemVaultError.self) { try keys.retireTenantKey(acme, version: 1) }
    }

    @Test("data keys rotate before the nonce budget is spent, and old versions keep decrypting")
    func encryptionBudgetRotation() throws {
        var configuration = KeyHierarchy.Configuration()
        configuration.rotationThreshold = 10
        configuration.reservationBlock = 4
        let keys = try installation(configuration).keys
        try keys.createTenant(acme)
        var envelopes: [Envelope] = []
        for index in 0..<25 { envelopes.append(try seal(keys, .tenant, "message \(index)")) }
        #expect(
            envelopes.map(\.keyVersion) == Array(repeating: 1, count: 10) + Array(repeating: 2, count: 10)
                + Array(repeating: 3, count: 5))
        let status = try #require(try keys.status(acme).first)
        // Three versions of the shared data key, one of the pseudonym key.
        #expect(status.dataKeys.versions == 4)
        #expect(status.dataKeys.maximumEncryptionsPerKey == 10)
        #expect(status.dataKeys.encryptionsReserved == 10 + 10 + 8)
        // Status counts what was done, not the budget reserved; after a flush, so does the key store.
        #expect(status.dataKeys.encryptions == 25)
        try keys.flushBudget()
        let flushed = try #require(try keys.status(acme).first)
        #expect(flushed.dataKeys.encryptions == 25 && flushed.dataKeys.encryptionsReserved == 10 + 10 + 5)
        for (index, envelope) in envelopes.enumerated() {
            #expect(try open(keys, .tenant, envelope) == "message \(index)")
        }
    }

    @Test("two processes sharing a key store never reuse a reserved range")
    func sharedCounting() throws {
        var configuration = KeyHierarchy.Configuration()
        configuration.rotationThreshold = 1_000
        configuration.reservationBlock = 7
        let first = try installation(configuration).keys
        try first.createTenant(acme)
        let second = try installation(configuration).keys
        for _ in 0..<30 {
            _ = try first.encryptionKey(acme, owner: .tenant)
            _ = try second.encryptionKey(acme, owner: .tenant, encryptions: 3)
        }
        // 30 single encryptions take 5 blocks of 7. A block of 7 serves two triples; the remainder is counted
        // as spent, never handed out again, so 30 triples take 15 blocks. Every block is counted exactly once.
        #expect(try first.status(acme).first?.dataKeys.encryptionsReserved == 5 * 7 + 15 * 7)
        // Work done, as each process reports it: 30 single encryptions here, 90 in the other.
        try first.flushBudget()
        try second.flushBudget()
        #expect(try first.status(acme).first?.dataKeys.encryptions == 30 + 90)
    }

    @Test("crypto-shredding a subject: its ciphertext (any copy) no longer opens and the wrapped key leaves no trace")
    func shredSubject() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        try keys.createDataKey(acme, owner: .subject(subject))
        let backupCopy = try seal(keys, .subject(subject), "forget me")
        let keyStorePath = root.appending("data/keys/keystore.sqlite")
        let wrapped = try DatabaseQueue(path: keyStorePath).read { db in
            try Data.fetchOne(
                db, sql: "SELECT wrapped_key FROM data_keys WHERE owner = ?", arguments: ["subject:\(subject)"])
        }
        let wrappedBytes = Array(try #require(wrapped))

        #expect(try keys.destroyDataKeys(acme, owner: .subject(subject)) == 1)
        for candidate in [keys, try installation().keys] {
            let error = try #require(throws: MemVaultError.self) { try open(candidate, .subject(subject), backupCopy) }
            #expect(error.code == .unknownKey)
        }
        for (name, bytes) in try filesUnder(root.appending("data/keys")) {
            #expect(!bytes.contains(subsequence: Array(wrappedBytes.suffix(48))), "\(name) still holds the wrapped key")
        }
        #expect(throws: MemVaultError.self) { try keys.destroyDataKeys(acme, owner: .subject(subject)) }
        // The tenant's own data is untouched.
        #expect(try open(keys, .tenant, try seal(keys, .tenant, "still here")) == "still here")
    }

    @Test("destroying a tenant destroys every key it had")
    func destroyTenant() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        let envelope = try seal(keys, .tenant, "shared")
        try keys.destroyTenant(acme)
        #expect(try keys.tenants().isEmpty)
        #expect(throws: MemVaultError.self) { try open(keys, .tenant, envelope) }
        // A new tenant of the same name gets new keys: the old ciphertext fails authentication under them.
        try keys.createTenant(acme)
        #expect(throws: CryptoError.authenticationFailure) { try open(keys, .tenant, envelope) }
    }

    @Test("a wrapped key moved to another row of the key store fails to unwrap")
    func swappedWrappedKeys() throws {
        let keys = try installation().keys
        try keys.createTenant(acme)
        let other = try SubjectID.random()
        try keys.createDataKey(acme, owner: .subject(subject))
        try keys.createDataKey(acme, owner: .subject(other))
        try DatabaseQueue(path: root.appending("data/keys/keystore.sqlite")).write { db in
            try db.execute(
                sql: """
                    UPDATE data_keys SET wrapped_key = (SELECT wrapped_key FROM data_keys WHERE owner = ?)
                    WHERE owner = ?
                    """,
                arguments: ["subject:\(other)", "subject:\(subject)"])
        }
        let error = try #require(throws: MemVaultError.self) {
            try installation().keys.decryptionKey(acme, owner: .subject(subject), version: 1)
        }
        #expect(error.code == .keyStoreCorrupted)
    }

    @Test("keys made on first use (checkpoint signing) are made once, even by processes racing for them")
    func lazyKeysAreShared() async throws {
        let first = try installation().keys
        try first.createTenant(acme)
        let second = try installation().keys
        let tenant = acme
        let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<8 {
                let hierarchy = index.isMultiple(of: 2) ? first : second
                group.addTask { try hierarchy.auditSigningKey(tenant).publicKey.rawRepresentation }
            }
            return try await group.reduce(into: Set<[UInt8]>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
        // A subject's audit pseudonym is stable, differs between subjects and needs the subject's key.
        try first.createDataKey(acme, owner: .subject(subject))
        let pseudonym = try first.auditPseudonym(acme, subject: subject)
        let again = try second.auditPseudonym(acme, subject: subject)
        #expect(pseudonym.hasPrefix("apn_") && pseudonym == again)
        let other = try SubjectID.random()
        try first.createDataKey(acme, owner: .subject(other))
        let otherPseudonym = try first.auditPseudonym(acme, subject: other)
        #expect(otherPseudonym != pseudonym)
        try first.destroyDataKeys(acme, owner: .subject(subject))
        #expect(throws: MemVaultError.self) { try first.auditPseudonym(acme, subject: subject) }
    }
}
