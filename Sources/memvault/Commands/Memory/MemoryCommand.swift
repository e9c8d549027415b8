import ArgumentParser

struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Add, read, update, archive and delete memories.",
        subcommands: [
            MemoryAddCommand.self, MemoryImportCommand.self, MemoryGetCommand.self, MemoryListCommand.self,
            MemoryUpdateCommand.self, MemoryArchiveCommand.self, MemoryDeleteCommand.self, MemoryHistoryCommand.self,
        ]
    )
}
