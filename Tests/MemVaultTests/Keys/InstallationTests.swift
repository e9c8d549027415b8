import Foundation
import MemVault
import MemVaultCrypto
import MemVaultSQLite
import MemVaultTestSupport
import Testing

@Suite("Installation and data folder")
struct InstallationTests {
    /// Default master keys go to this test's own key folder, never the user's.
    static func environment(_ root: TemporaryFolder) -> [String: String] {
        ["MEMVAULT_KEY_DIR": root.appending("keys")]
    }

    @Test("init creates an owner-only folder, a key file outside it and a key store; init twice is refused")
    func initialise() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = Self.environment(root)
        let installation = try Installation.initialise(
            at: path, masterKey: .keyFile(path: nil), environment: environment)
        let files = FileManager.default
        #expect((try files.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o700)
        #expect(files.fileExists(atPath: installation.folder.keyStore.path))
        let keyFile = try MasterKeySource.defaultKeyFile(
            installationID: installation.keys.installationID, environment: environment)
        #expect(files.fileExists(atPath: keyFile.path))
        // A copy or backup of the data folder does not carry the key that decrypts it.
        #expect(!keyFile.path.hasPrefix(installation.folder.path + "/"))
        #expect(try filesUnder(path).keys.allSatisfy { !$0.hasSuffix(".key") })
        #expect(installation.masterKeyLocation == keyFile.path)
        let again = try #require(throws: MemVaultError.self) {
            try Installation.initialise(at: path, masterKey: .keyFile(path: nil), environment: environment)
        }
        #expect(again.code == .alreadyInitialised)
        // The default key is found again from the installation id.
        #expect(
            try Installation.open(at: path, masterKey: .keyFile(path: nil), environment: environment).keys
                .installationID
                == installation.keys.installationID)
    }

    @Test("opening a missing or uninitialised folder says to run init")
    func openMissing() throws {
        let root = try TemporaryFolder()
        let missing = try #require(throws: MemVaultError.self) {
            try Installation.open(
                at: root.appending("nowhere"), masterKey: .keyFile(path: nil), environment: Self.environment(root))
        }
        #expect(missing.code == .dataFolderMissing && missing.message.contains("memvault init"))
        let empty = try #require(throws: MemVaultError.self) {
            try Installation.open(at: root.path, masterKey: .keyFile(path: nil), environment: Self.environment(root))
        }
        #expect(empty.code == .dataFolderMissing)
    }

    @Test("a wrong master key is an authentication failure, not garbage")
    func wrongMasterKey() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = Self.environment(root)
        let installation = try Installation.initialise(
            at: path, masterKey: .keyFile(path: nil), environment: environment)
        try installation.keys.createTenant(TenantID("acme"))
        let other = root.appending("other.key")
        _ = try KeyFileMasterKeyProvider.create(at: other)
        let error = try #require(throws: MemVaultError.self) {
            try Installation.open(at: path, masterKey: .keyFile(path: other), environment: environment)
        }
        #expect(error.code == .wrongMasterKey)
        #expect(error.message.contains("authentication failed"))
        #expect(
            try Installation.open(at: path, masterKey: .keyFile(path: nil), environment: environment).keys.tenants()
                == [TenantID("acme")])
    }

    @Test("with the key in the environment, init writes no key file and open needs the same key")
    func environmentKey() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = ["MEMVAULT_MASTER_KEY": String(repeating: "5a", count: 32)]
        let source = MasterKeySource.resolve(keyFile: nil, environment: environment)
        let installation = try Installation.initialise(at: path, masterKey: source, environment: Self.environment(root))
        #expect(!FileManager.default.fileExists(atPath: root.appending("keys")))
        #expect(installation.keys.masterKeySource == "environment variable MEMVAULT_MASTER_KEY")
        _ = try Installation.open(at: path, masterKey: source)
        let otherEnvironment = ["MEMVAULT_MASTER_KEY": String(repeating: "5b", count: 32)]
        let error = try #require(throws: MemVaultError.self) {
            try Installation.open(at: path, masterKey: .resolve(keyFile: nil, environment: otherEnvironment))
        }
        #expect(error.code == .wrongMasterKey)
    }

    @Test("neither the master key nor any plaintext data key is written into the key store")
    func keyStoreHoldsNoPlainKeys() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let hex = String(repeating: "c3", count: 32)
        let installation = try Installation.initialise(
            at: path, masterKey: .environment(variable: "K", environment: ["K": hex]))
        try installation.keys.createTenant(TenantID("acme"))
        try installation.keys.rotateTenantKey(TenantID("acme"))
        let master = [UInt8](repeating: 0xC3, count: 32)
        for (name, bytes) in try filesUnder(path) {
            #expect(!bytes.contains(subsequence: Array(master.prefix(16))), "\(name) holds master key bytes")
        }
    }

    @Test("a master key left inside the data folder by an earlier version is refused, with how to move it")
    func legacyKeyInsideTheFolder() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = Self.environment(root)
        let installation = try Installation.initialise(
            at: path, masterKey: .keyFile(path: nil), environment: environment)
        let keyFile = try MasterKeySource.defaultKeyFile(
            installationID: installation.keys.installationID, environment: environment)
        try FileManager.default.moveItem(atPath: keyFile.path, toPath: installation.folder.legacyKeyFile.path)
        let error = try #require(throws: MemVaultError.self) {
            try Installation.open(at: path, masterKey: .keyFile(path: nil), environment: environment)
        }
        #expect(error.code == .masterKeyUnavailable && error.message.contains("decrypts itself"))
        #expect(error.message.contains("mv \(installation.folder.legacyKeyFile.path) \(keyFile.path)"))
    }

    @Test("opening a data folder tightens loose permissions: folders 0700, files 0600")
    func permissionsTightened() async throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = Self.environment(root)
        let installation = try Installation.initialise(
            at: path, masterKey: .keyFile(path: nil), environment: environment)
        let store = try await MemoryStore.open(installation, policies: StoreFixture.policies)
        try await store.createTenant(TenantID("acme"))
        try await store.close()
        let files = FileManager.default
        for folder in [path, "\(path)/tenants", "\(path)/keys"] {
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
        }
        for file in ["\(path)/catalog.sqlite", "\(path)/tenants/acme.sqlite", "\(path)/keys/keystore.sqlite"] {
            try files.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        let reopened = try await MemoryStore.open(
            Installation.open(at: path, masterKey: .keyFile(path: nil), environment: environment),
            policies: StoreFixture.policies)
        _ = try await reopened.tenant(TenantID("acme")).cubes()
        for folder in [path, "\(path)/tenants", "\(path)/keys"] {
            #expect(try files.attributesOfItem(atPath: folder)[.posixPermissions] as? Int == 0o700, "\(folder)")
        }
        let enumerator = files.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            let attributes = try files.attributesOfItem(atPath: "\(path)/\(relative)")
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            #expect(attributes[.posixPermissions] as? Int == 0o600, "\(relative)")
        }
        try await reopened.close()
    }
}
