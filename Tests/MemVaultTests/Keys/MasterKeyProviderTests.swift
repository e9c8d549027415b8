import Foundation
import MemVault
import MemVaultCrypto
import MemVaultSQLite
import Testing

@Suite("Master key providers")
struct MasterKeyProviderTests {
    @Test("a created key file has mode 0600, 32 bytes, and is never overwritten")
    func keyFileCreation() throws {
        let folder = try TemporaryFolder()
        let path = folder.appending("master.key")
        let provider = try KeyFileMasterKeyProvider.create(at: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        let key = try provider.masterKey()
        #expect(key.byteCount == 32)
        #expect(throws: MemVaultError.self) { try KeyFileMasterKeyProvider.create(at: path) }
        #expect(try provider.masterKey() == key)
    }

    @Test(
        "a key file readable or writable by group or others is refused with the fix",
        arguments: [0o640, 0o604, 0o620, 0o644, 0o666])
    func loosePermissions(mode: Int) throws {
        let folder = try TemporaryFolder()
        let path = folder.appending("master.key")
        let provider = try KeyFileMasterKeyProvider.create(at: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = try #require(throws: MemVaultError.self) { try provider.masterKey() }
        #expect(error.code == .masterKeyUnavailable)
        #expect(error.message.contains("chmod 600"))
    }

    @Test("missing, wrong-sized and symlinked key files are refused")
    func badKeyFiles() throws {
        let folder = try TemporaryFolder()
        let missing = try #require(throws: MemVaultError.self) {
            try KeyFileMasterKeyProvider(path: folder.appending("absent.key")).masterKey()
        }
        #expect(missing.message.contains("does not exist"))

        let short = folder.appending("short.key")
        #expect(
            FileManager.default.createFile(
                atPath: short, contents: Data(repeating: 1, count: 31), attributes: [.posixPermissions: 0o600]))
        let wrongSize = try #require(throws: MemVaultError.self) {
            try KeyFileMasterKeyProvider(path: short).masterKey()
        }
        #expect(wrongSize.message.contains("31 bytes"))

        let real = folder.appending("real.key")
        _ = try KeyFileMasterKeyProvider.create(at: real)
        let link = folder.appending("link.key")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        #expect(throws: MemVaultError.self) { try KeyFileMasterKeyProvider(path: link).masterKey() }
    }

    @Test("the environment provider takes exactly 64 hex digits")
    func environmentProvider() throws {
        let hex = String(repeating: "ab", count: 32)
        let key = try EnvironmentMasterKeyProvider(environment: ["MEMVAULT_MASTER_KEY": hex]).masterKey()
        #expect(key == SymmetricKey(copying: [UInt8](repeating: 0xAB, count: 32)))
        for bad in ["", "zz" + String(repeating: "ab", count: 31), String(repeating: "ab", count: 31)] {
            let error = try #require(throws: MemVaultError.self) {
                try EnvironmentMasterKeyProvider(environment: ["MEMVAULT_MASTER_KEY": bad]).masterKey()
            }
            #expect(error.code == .masterKeyUnavailable)
            #expect(!error.message.contains(bad) || bad.isEmpty, "the error must not echo the key")
        }
        #expect(throws: MemVaultError.self) { try EnvironmentMasterKeyProvider(environment: [:]).masterKey() }
    }

    @Test("the CLI's source rule: explicit key file, else environment, else the default file")
    func sourceResolution() {
        let env = ["MEMVAULT_MASTER_KEY": "x"]
        #expect(MasterKeySource.resolve(keyFile: "/k", environment: env) == .keyFile(path: "/k"))
        #expect(
            MasterKeySource.resolve(keyFile: nil, environment: env)
                == .environment(variable: "MEMVAULT_MASTER_KEY", environment: env))
        #expect(MasterKeySource.resolve(keyFile: nil, environment: [:]) == .keyFile(path: nil))
    }
}
