public import Foundation
public import Logging
public import MemVault
import MemVaultPolicy

/// One embedded MemVault installation: its data folder, its key store and key hierarchy, and its master key's
/// location. The wiring of the embedded default (SQLite in a local data folder).
public final class Installation: Sendable {
    public let folder: DataFolder
    public let keys: KeyHierarchy
    /// Where the master key was read from (a file path, or an environment variable's name).
    public let masterKeyLocation: String
    let keyStorage: SQLiteKeyStorage

    private init(folder: DataFolder, keys: KeyHierarchy, keyStorage: SQLiteKeyStorage, masterKeyLocation: String) {
        self.folder = folder
        self.keys = keys
        self.keyStorage = keyStorage
        self.masterKeyLocation = masterKeyLocation
    }

    /// Creates the data folder, its key store and, unless the key comes from the environment, a new master key file
    /// outside the folder.
    public static func initialise(
        at path: String, masterKey source: MasterKeySource,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> Installation {
        let folder = try DataFolder.create(at: path)
        let storage = try SQLiteKeyStorage(path: folder.keyStore.path)
        var createdKeyFile: String?
        do {
            let (provider, location, created) = try source.newInstallation(in: storage, environment: environment)
            createdKeyFile = created
            let keys = try KeyHierarchy.create(in: storage, masterKeyProvider: provider, configuration: configuration)
            return Installation(folder: folder, keys: keys, keyStorage: storage, masterKeyLocation: location)
        } catch {
            // A key file without its key store protects nothing; leave no half-initialised folder behind.
            if let createdKeyFile { try? FileManager.default.removeItem(atPath: createdKeyFile) }
            try? storage.close()
            for file in FilePermissions.databaseFiles(folder.keyStore.path) {
                try? FileManager.default.removeItem(atPath: file)
            }
            throw error
        }
    }

    /// Opens an initialised data folder with its master key.
    public static func open(
        at path: String, masterKey source: MasterKeySource,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> Installation {
        let folder = try DataFolder.open(at: path)
        let storage = try SQLiteKeyStorage(path: folder.keyStore.path)
        if case .keyFile(nil) = source, let id = try KeyHierarchy.installationID(in: storage) {
            let keyFile = try MasterKeySource.defaultKeyFile(installationID: id, environment: environment).path
            if FileManager.default.fileExists(atPath: folder.legacyKeyFile.path),
                !FileManager.default.fileExists(atPath: keyFile)
            {
                throw MemVaultError(
                    .masterKeyUnavailable,
                    "the master key \(folder.legacyKeyFile.path) lives inside the data folder, so any copy of the "
                        + "folder decrypts itself: move it out with `mkdir -p \(URL(filePath: keyFile).deletingLastPathComponent().path) && "
                        + "mv \(folder.legacyKeyFile.path) \(keyFile)`, or pass --key-file")
            }
        }
        let (provider, location) = try source.existingInstallation(in: storage, environment: environment)
        let keys = try KeyHierarchy.open(storage, masterKeyProvider: provider, configuration: configuration)
        return Installation(folder: folder, keys: keys, keyStorage: storage, masterKeyLocation: location)
    }

    /// Closes the key store cleanly. The hierarchy cannot be used afterwards.
    public func close() throws {
        try keyStorage.close()
    }
}

extension MemoryStore {
    /// Opens the store of an embedded installation on the SQLite backend in its data folder.
    public static func open(
        _ installation: Installation, policies: PolicyRegistry, limits: StoreLimits = StoreLimits(),
        sqlite: SQLiteConfiguration = SQLiteConfiguration(), auditCheckpointInterval: UInt64 = 1_000,
        logger: Logger = Logger(label: "memvault", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> MemoryStore {
        try await open(
            keys: installation.keys,
            backend: SQLiteBackend(folder: installation.folder, configuration: sqlite, logger: logger),
            policies: policies, limits: limits, auditCheckpointInterval: auditCheckpointInterval, logger: logger,
            now: now)
    }
}
