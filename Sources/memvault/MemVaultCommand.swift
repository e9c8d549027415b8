import ArgumentParser

@main
struct MemVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memvault",
        abstract: "A privacy-governed, multi-tenant memory store for AI products.",
        discussion: """
            Every memory is encrypted under a key hierarchy (master key → tenant keys → subject keys).
            Start with `memvault init`, then `memvault tenant create NAME`.
            The master key comes from --key-file, else MEMVAULT_MASTER_KEY (64 hex digits), else DATA/master.key.
            """,
        subcommands: [
            InitCommand.self, TenantCommand.self, SubjectCommand.self, CubeCommand.self, MemoryCommand.self,
            ConsentCommand.self, HoldCommand.self, AuditCommand.self,
            PolicyCommand.self, KeysCommand.self,
        ]
    )
}
