import ArgumentParser
import MemVault

struct MemoryAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a memory to a cube; content from --text, --file or --stdin.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "The cube (cube_…).") var cube: String
    @OptionGroup var content: ContentOptions
    @OptionGroup var metadata: MemoryMetadataOptions

    func run() async throws {
        try await options.run {
            let cube = try CubeID(cube)
            guard let content = try content.content() else {
                throw ValidationError("give the content with --text, --file or --stdin")
            }
            let memory = try metadata.newMemory(content)
            return try await options.withOperations(tenant) { try await $0.addMemory(memory, to: cube) }
        } text: {
            MemoryText.render($0)
        }
    }
}

struct MemoryUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Store a new version of a memory; the previous one stays in its history.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Argument(help: "The memory (mem_…).") var memory: String
    @OptionGroup var content: ContentOptions
    @OptionGroup var metadata: MemoryMetadataOptions

    func run() async throws {
        try await options.run {
            let id = try MemoryID(memory)
            let changes = try metadata.changes(try content.content())
            return try await options.withOperations(tenant) { try await $0.updateMemory(id, changes) }
        } text: {
            MemoryText.render($0)
        }
    }
}

struct MemoryArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Archive a memory: kept, but no longer listed by default.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Argument(help: "The memory (mem_…).") var memory: String

    func run() async throws {
        try await options.run {
            let id = try MemoryID(memory)
            return try await options.withOperations(tenant) { try await $0.archiveMemory(id) }
        } text: {
            MemoryText.render($0)
        }
    }
}

struct MemoryDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a memory with all its versions.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Argument(help: "The memory (mem_…).") var memory: String

    struct Result: Encodable {
        let deleted: MemoryID
    }

    func run() async throws {
        try await options.run {
            let id = try MemoryID(memory)
            try await options.withOperations(tenant) { try await $0.deleteMemory(id) }
            return Result(deleted: id)
        } text: {
            "Deleted memory \($0.deleted) and all its versions."
        }
    }
}
