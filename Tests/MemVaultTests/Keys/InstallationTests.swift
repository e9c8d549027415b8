import Foundation
import MemVault
import MemVaultCrypto
import Testing

@Suite("Installation and data folder")
struct InstallationTests {
    @Test("init creates an owner-only folder, a key file and a key store; init twice is refused")
    func initialise() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let installation = try Installation.initialise(at: path, masterKey: .keyFile(path: nil))
        let files = FileManager.default
        #expect((try files.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o700)
        #expect(files.fileExists(atPath: installation.folder.keyStore.path))
        #expect(files.fileExists(atPath: installation.folder.defaultKeyFile.path))
        let again = try #require(throws: MemVaultError.self) {
            try Installation.initialise(at: path, masterKey: .keyFile(path: nil))
        }
        #expect(again.code == .alreadyInitialised)
    }

    @Test("opening a missing or uninitialised folder says to run init")
    func openMissing() throws {
        let root = try TemporaryFolder()
        let missing = try #require(throws: MemVaultError.self) {
            try Installation.open(at: root.appending("nowhere"), masterKey: .keyFile(path: nil))
        }
        #expect(missing.code == .dataFolderMissing && missing.message.contains("memvault init"))
        let empty = try #require(throws: MemVaultError.self) {
            try Installation.open(at: root.path, masterKey: .keyFile(path: nil))
        }
        #expect(empty.code == .dataFolderMissing)
    }

    @Test("a wrong master key is an authentication failure, not garbage")
    func wrongMasterKey() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let installation = try Installation.initialise(at: path, masterKey: .keyFile(path: nil))
        try installation.keys.createTenant(TenantID("acme"))
        let other = root.appending("other.key")
        _ = try KeyFileMasterKeyProvider.create(at: other)
        let error = try #require(throws: MemVaultError.self) {
            try Installation.open(at: path, masterKey: .keyFile(path: other))
        }
        #expect(error.code == .wrongMasterKey)
        #expect(error.message.contains("authentication failed"))
        #expect(try Installation.open(at: path, masterKey: .keyFile(path: nil)).keys.tenants() == [TenantID("acme")])
    }

    @Test("with the key in the environment, init writes no key file and open needs the same key")
    func environmentKey() throws {
        let root = try TemporaryFolder()
        let path = root.appending("data")
        let environment = ["MEMVAULT_MASTER_KEY": String(repeating: "5a", count: 32)]
        let source = Installation.MasterKeySource.resolve(keyFile: nil, environment: environment)
        let installation = try Installation.initialise(at: path, masterKey: source)
        #expect(!FileManager.default.fileExists(atPath: installation.folder.defaultKeyFile.path))
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
}
