import ArgumentParser
import Foundation
import MemVault

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data folder, its master key and its key store.",
        discussion: """
            Writes a new random master key to DATA/master.key (mode 0600), or to --key-file, unless
            MEMVAULT_MASTER_KEY is set. Keep the master key and DATA/keys out of the backups of DATA/tenants:
            whoever holds data and keys together can read everything.
            """
    )

    @OptionGroup var options: GlobalOptions

    struct Result: Encodable {
        let dataFolder: String
        let keyStore: String
        let masterKey: String
    }

    func run() throws {
        try options.run {
            let installation = try Installation.initialise(at: options.dataPath, masterKey: options.masterKeySource)
            return Result(
                dataFolder: installation.folder.path, keyStore: installation.folder.keyStore.path,
                masterKey: installation.keys.masterKeySource)
        } text: { result in
            """
            Initialised MemVault data folder \(result.dataFolder)
              master key: \(result.masterKey)
              key store:  \(result.keyStore)
            Next: memvault tenant create NAME --data \(options.dataPath)
            """
        }
    }
}
