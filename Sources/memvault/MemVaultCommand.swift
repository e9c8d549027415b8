import ArgumentParser
import Foundation

@main
struct MemVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memvault",
        abstract: "A privacy-governed, multi-tenant memory store for AI products.",
        discussion: """
            Every memory is encrypted under a key hierarchy (master key → tenant keys → subject keys).
            Start with `memvault init`, then `memvault tenant create NAME`.
            The master key comes from --key-file, else MEMVAULT_MASTER_KEY (64 hex digits), else a key file named
            after the installation in $MEMVAULT_KEY_DIR (default ~/.config/memvault/keys), outside the data folder.
            """,
        subcommands: [
            InitCommand.self, TenantCommand.self, CredentialCommand.self, ServeCommand.self, SubjectCommand.self,
            CubeCommand.self,
            MemoryCommand.self,
            SearchCommand.self, IndexCommand.self, RetentionCommand.self, ErasureCommand.self, RestrictionCommand.self,
            ConsentCommand.self, HoldCommand.self, AuditCommand.self, MCPCommand.self,
            PolicyCommand.self, KeysCommand.self, ExportCommand.self, ImportCommand.self, ModuleCommand.self,
        ]
    )

    /// Parses and runs like ArgumentParser's own `main`, except that with `--json` an argument error is printed
    /// as the same JSON error document every other failure uses.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let exitCode = self.exitCode(for: error)
            if arguments.contains("--json"), !(error is ExitCode), exitCode != .success {
                let document = ErrorDocument(error: .init(code: "invalid_argument", message: message(for: error)))
                print((try? JSONOutput.encode(document)) ?? #"{"error": {"code": "invalid_argument"}}"#)
                Self.exit(withError: ExitCode(exitCode.rawValue))
            }
            Self.exit(withError: error)
        }
    }
}
