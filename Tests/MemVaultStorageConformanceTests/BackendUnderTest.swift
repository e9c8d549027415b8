import Foundation
import MemVault
import MemVaultPolicy
import MemVaultPostgres
import MemVaultPostgresTestSupport
import MemVaultSQLite
import Testing

/// A storage backend the conformance suite runs against (SQLite, and PostgreSQL on the test server). A new backend adds one value to `all` and must pass every
/// test here unchanged: the suite talks to it only through the storage protocols (and, for the store-level checks,
/// through a `MemoryStore` opened over it).
struct BackendUnderTest: Sendable, CustomTestStringConvertible {
    let name: String
    /// A backend instance over the storage at `location`; a second call with the same location stands for another
    /// process sharing that storage.
    let open: @Sendable (_ location: String) async throws -> any StorageBackend

    var testDescription: String { name }

    static let all: [BackendUnderTest] = [sqlite, postgres]

    static let sqlite = BackendUnderTest(name: "SQLite") { location in
        try SQLiteBackend(folder: try DataFolder.open(at: location))
    }

    /// A database of its own per location on the test server (`TestPostgresServer`).
    static let postgres = BackendUnderTest(name: "PostgreSQL") { location in
        try await PostgresBackend(url: try await TestPostgresServer.database(for: location), threads: 4)
    }
}

/// One test's storage: a location with a key store (so a store can be opened over the backend too), and the
/// backend under test over it.
final class Harness: Sendable {
    let backendUnderTest: BackendUnderTest
    let location: String
    let keys: KeyHierarchy
    let keyStorage: SQLiteKeyStorage
    let backend: any StorageBackend

    static let policies = PolicyRegistry(
        folder: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies"))

    private init(
        backendUnderTest: BackendUnderTest, location: String, keys: KeyHierarchy, keyStorage: SQLiteKeyStorage,
        backend: any StorageBackend
    ) {
        self.backendUnderTest = backendUnderTest
        self.location = location
        self.keys = keys
        self.keyStorage = keyStorage
        self.backend = backend
    }

    static func make(_ backendUnderTest: BackendUnderTest) async throws -> Harness {
        let location = FileManager.default.temporaryDirectory.appending(path: "memvault-conformance-\(UUID())").path
        let folder = try DataFolder.create(at: location)
        let masterKey = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let keyStorage = try SQLiteKeyStorage(path: folder.keyStore.path)
        let keys = try KeyHierarchy.create(
            in: keyStorage,
            masterKeyProvider: EnvironmentMasterKeyProvider(environment: ["MEMVAULT_MASTER_KEY": masterKey]))
        return Harness(
            backendUnderTest: backendUnderTest, location: location, keys: keys, keyStorage: keyStorage,
            backend: try await backendUnderTest.open(location))
    }

    /// Another backend instance over the same storage, as another process would open it.
    func anotherProcess() async throws -> any StorageBackend {
        try await backendUnderTest.open(location)
    }

    /// A tenant's storage, created empty.
    func tenant(_ name: String, in backend: (any StorageBackend)? = nil) async throws -> any TenantStorage {
        let backend = backend ?? self.backend
        let tenant = try TenantID(name)
        if try !backend.hasTenantStorage(tenant) { try await backend.createTenantStorage(tenant) }
        return try await backend.tenantStorage(tenant)
    }

    /// A memory store over the backend under test.
    func store() async throws -> MemoryStore {
        try await MemoryStore.open(keys: keys, backend: backend, policies: Self.policies)
    }

    func close() async throws {
        try await backend.close()
        try keyStorage.close()
        try? FileManager.default.removeItem(atPath: location)
    }
}
