public import Foundation

/// Where an installation's master key comes from, whatever holds its key store (a data folder, PostgreSQL).
public enum MasterKeySource: Sendable, Equatable {
    /// A key file; `nil` means the default, outside the data: `<key folder>/<installation id>.key` (see
    /// `defaultKeyFolder`).
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

    /// Default master keys live in `$MEMVAULT_KEY_DIR`, else `$XDG_CONFIG_HOME/memvault/keys`, else
    /// `~/.config/memvault/keys`: with the user's configuration, not with the data, so that a copy or backup of the
    /// data does not carry the key that opens it.
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

    /// The master key for a new key store in `storage`: a new key file (at the default place, named after the
    /// installation id reserved in `storage`, unless a path is given), or the environment's key. `createdKeyFile`
    /// is the file made, for the caller to remove if initialising fails.
    public func newInstallation(
        in storage: any KeyStorage, environment: [String: String]
    ) throws -> (provider: any MasterKeyProvider, location: String, createdKeyFile: String?) {
        switch self {
        case .keyFile(let explicit):
            let keyFile =
                try explicit
                ?? Self.defaultKeyFile(
                    installationID: KeyHierarchy.reserveInstallationID(in: storage), environment: environment
                ).path
            // The default key folder is MemVault's own; a folder named by the operator is theirs (the file is 0600).
            try PrivateFolder.prepare(
                URL(filePath: keyFile).deletingLastPathComponent(), tightenExisting: explicit == nil)
            return (try KeyFileMasterKeyProvider.create(at: keyFile), keyFile, keyFile)
        case .environment(let variable, let environment):
            return (
                EnvironmentMasterKeyProvider(variable: variable, environment: environment),
                "environment variable \(variable)", nil
            )
        }
    }

    /// The master key of the initialised key store in `storage`.
    public func existingInstallation(
        in storage: any KeyStorage, environment: [String: String]
    ) throws -> (provider: any MasterKeyProvider, location: String) {
        switch self {
        case .keyFile(let explicit?):
            return (KeyFileMasterKeyProvider(path: explicit), explicit)
        case .keyFile(nil):
            guard let id = try KeyHierarchy.installationID(in: storage) else {
                throw MemVaultError(.keyStoreCorrupted, "the key store names no installation")
            }
            let keyFile = try Self.defaultKeyFile(installationID: id, environment: environment).path
            return (KeyFileMasterKeyProvider(path: keyFile), keyFile)
        case .environment(let variable, let environment):
            return (
                EnvironmentMasterKeyProvider(variable: variable, environment: environment),
                "environment variable \(variable)"
            )
        }
    }
}
