import Foundation

/// One MemVault installation: its data folder and its key hierarchy.
public final class Installation: Sendable {
    public let folder: DataFolder
    public let keys: KeyHierarchy

    private init(folder: DataFolder, keys: KeyHierarchy) {
        self.folder = folder
        self.keys = keys
    }

    /// Where the master key comes from.
    public enum MasterKeySource: Sendable, Equatable {
        /// A key file; `nil` means the data folder's default `master.key`.
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

        func provider(for folder: DataFolder) -> any MasterKeyProvider {
            switch self {
            case .keyFile(let path): KeyFileMasterKeyProvider(path: path ?? folder.defaultKeyFile.path)
            case .environment(let variable, let environment):
                EnvironmentMasterKeyProvider(variable: variable, environment: environment)
            }
        }
    }

    /// Creates the data folder, a new master key file (unless the key comes from the environment) and the key store.
    public static func initialise(
        at path: String, masterKey source: MasterKeySource,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> Installation {
        let folder = try DataFolder.create(at: path)
        var provider = source.provider(for: folder)
        var createdKeyFile: String?
        if case .keyFile = source, let fileProvider = provider as? KeyFileMasterKeyProvider {
            provider = try KeyFileMasterKeyProvider.create(at: fileProvider.path)
            createdKeyFile = fileProvider.path
        }
        do {
            let keys = try KeyHierarchy.create(
                keyStorePath: folder.keyStore.path, masterKeyProvider: provider, configuration: configuration)
            return Installation(folder: folder, keys: keys)
        } catch {
            // A key file without its key store protects nothing; leave no half-initialised folder behind.
            if let createdKeyFile { try? FileManager.default.removeItem(atPath: createdKeyFile) }
            throw error
        }
    }

    /// Opens an initialised data folder with its master key.
    public static func open(
        at path: String, masterKey source: MasterKeySource,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> Installation {
        let folder = try DataFolder.open(at: path)
        let keys = try KeyHierarchy.open(
            keyStorePath: folder.keyStore.path, masterKeyProvider: source.provider(for: folder),
            configuration: configuration)
        return Installation(folder: folder, keys: keys)
    }
}
