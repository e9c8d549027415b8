import ArgumentParser
import Foundation
import MemVault
import MemVaultPostgres
import MemVaultSQLite

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data folder (or a PostgreSQL installation), its master key and its key store.",
        discussion: """
            Writes a new random master key (mode 0600) outside the data folder: to --key-file, else to a file named \
            after the installation in $MEMVAULT_KEY_DIR (default ~/.config/memvault/keys), unless \
            MEMVAULT_MASTER_KEY is set. A copy or backup of the data folder then does not carry the key that \
            decrypts it. Keep the master key and DATA/keys out of the backups of DATA/tenants: whoever holds data \
            and keys together can read everything.
            """
    )

    @OptionGroup var options: FolderOptions

    struct Result: Encodable {
        let dataFolder: String?
        let postgres: String?
        let keyStore: String
        let masterKey: String
        let masterKeyLocation: String
        let installation: String
    }

    func run() async throws {
        try await options.output.run {
            try FolderOptions.refuseWhileServing()
            if let url = try options.postgresURL {
                let installation = try PostgresInstallation.initialise(
                    url: url, keyStore: try options.postgresKeysURL, masterKey: options.masterKeySource)
                defer { installation.close() }
                return Result(
                    dataFolder: nil, postgres: url.description,
                    keyStore: "\(installation.keyStoreURL) (schema memvault_keys)",
                    masterKey: installation.keys.masterKeySource, masterKeyLocation: installation.masterKeyLocation,
                    installation: installation.keys.installationID)
            }
            let installation = try Installation.initialise(at: options.dataPath, masterKey: options.masterKeySource)
            defer { try? installation.close() }
            return Result(
                dataFolder: installation.folder.path, postgres: nil, keyStore: installation.folder.keyStore.path,
                masterKey: installation.keys.masterKeySource, masterKeyLocation: installation.masterKeyLocation,
                installation: installation.keys.installationID)
        } text: { result in
            """
            Initialised MemVault \(result.postgres.map { "in \($0)" } ?? "data folder \(result.dataFolder ?? "")") \
            (installation \(result.installation))
              key store:  \(result.keyStore)
              master key: \(result.masterKeyLocation)
            The master key is kept outside the data folder, so that a copy or backup of the folder cannot decrypt
            itself: back it up separately, and keep it away from copies of the data.
            Next: memvault tenant create NAME \(result.postgres.map { "--postgres \($0)" } ?? "--data \(options.dataPath)")
            """
        }
    }
}
