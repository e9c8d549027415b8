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

    /// Where the master key comes from.
    public enum MasterKeySource: Sendable, Equatable {
        /// A key file; `nil` means the default, outside the data folder: `<key folder>/<installation id>.key`
        /// (see `defaultKeyFolder`).
        case keyFile(path: String?)
        /// 64 hex digits in an environment variable.
        case environment(variable: String, environment: [String: String])

        /// The CLI's rule: an explicit key file wins; else the environment variable if it is set; else the default.
        public static func resolve(keyFile: String?, environment: [String: String]) -> MasterKeySource {
            if let keyFile { return .keyFile(path: keyFile) }
            let variable = EnvironmentMasterKeyProvider.defaultVariable
            if environment[variable] != nil { return .environment(variable: variable, environment: environment) }
            return .keyFile(path: nil)
        }
    }

    /// Default master keys live in `$MEMVAULT_KEY_DIR`, else `$XDG_CONFIG_HOME/memvault/keys`, else
    /// `~/.config/memvault/keys`: with the user's configuration, not with the data, so that a copy or backup of the
    /// data folder does not carry the key that opens it.
    public static func defaultKeyFolder(environment: [String: String]) throws -> URL {
        if let folder = environment["MEMVAULT_KEY_DIR"], !folder.isEmpty { return URL(filePath: folder) }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            return URL(filePath: config).appending(path: "memvault/keys")
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(filePath: home).appending(path: ".config/memvault/keys")
        }
        throw MemVaultError(
            .masterKeyUnavailable,
            "no folder for the master key: set MEMVAULT_KEY_DIR (or HOME), pass --key-file, or set MEMVAULT_MASTER_KEY")
    }

    /// The default key file of installation `id`.
    public static func defaultKeyFile(installationID id: String, environment: [String: String]) throws -> URL {
        try defaultKeyFolder(environment: environment).appending(path: "\(id).key")
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
            let provider: any MasterKeyProvider
            let location: String
            switch source {
            case .keyFile(let explicit):
                let keyFile =
                    try explicit
                    ?? defaultKeyFile(
                        installationID: KeyHierarchy.reserveInstallationID(in: storage), environment: environment
                    ).path
                try FilePermissions.prepareFolder(URL(filePath: keyFile).deletingLastPathComponent())
                provider = try KeyFileMasterKeyProvider.create(at: keyFile)
                createdKeyFile = keyFile
                location = keyFile
            case .environment(let variable, let environment):
                provider = EnvironmentMasterKeyProvider(variable: variable, environment: environment)
                location = "environment variable \(variable)"
            }
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
        let provider: any MasterKeyProvider
        let location: String
        switch source {
        case .keyFile(let explicit?):
            provider = KeyFileMasterKeyProvider(path: explicit)
            location = explicit
        case .keyFile(nil):
            guard let id = try KeyHierarchy.installationID(in: storage) else {
                throw MemVaultError(.keyStoreCorrupted, "the key store of \(folder.path) names no installation")
            }
            let keyFile = try defaultKeyFile(installationID: id, environment: environment).path
            if FileManager.default.fileExists(atPath: folder.legacyKeyFile.path),
                !FileManager.default.fileExists(atPath: keyFile)
            {
                throw MemVaultError(
                    .masterKeyUnavailable,
                    "the master key \(folder.legacyKeyFile.path) lives inside the data folder, so any copy of the "
                        + "folder decrypts itself: move it out with `mkdir -p \(URL(filePath: keyFile).deletingLastPathComponent().path) && "
                        + "mv \(folder.legacyKeyFile.path) \(keyFile)`, or pass --key-file")
            }
            provider = KeyFileMasterKeyProvider(path: keyFile)
            location = keyFile
        case .environment(let variable, let environment):
            provider = EnvironmentMasterKeyProvider(variable: variable, environment: environment)
            location = "environment variable \(variable)"
        }
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
