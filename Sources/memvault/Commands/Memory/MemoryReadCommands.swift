import ArgumentParser
import MemVault

struct MemoryGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show a memory: its current version, or --version N.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Argument(help: "The memory (mem_…).") var memory: String
    @Option(help: "A specific version.") var version: Int?

    func run() async throws {
        try await options.run {
            let id = try MemoryID(memory)
            return try await options.withOperations(tenant) { try await $0.memory(id, version: version) }
        } text: {
            MemoryText.render($0)
        }
    }
}

struct MemoryListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a cube's or a subject's memories, a page at a time.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "List this cube (cube_…).") var cube: String?
    @Option(help: "List this subject's memories across its cubes (sub_…).") var subject: String?
    @Option(name: .customLong("status"), help: "Statuses to include (repeatable; default: active).")
    var statuses: [MemoryStatus] = []
    @Option(help: "Page size.") var limit = 100
    @Option(help: "The cursor printed by the previous page.") var after: String?

    func validate() throws {
        guard (cube != nil) != (subject != nil) else {
            throw ValidationError("give exactly one of --cube or --subject")
        }
    }

    func run() async throws {
        try await options.run {
            let scope: MemoryScope = try cube.map { .cube(try CubeID($0)) } ?? .subject(try SubjectID(subject!))
            let statuses = Set(self.statuses.isEmpty ? [.active] : self.statuses)
            return try await options.withOperations(tenant) { store in
                try await store.memories(in: scope, statuses: statuses, after: after, limit: limit)
            }
        } text: { page in
            MemoryText.render(page.items, cursor: page.nextCursor)
                + page.withheld.map { "\nwithheld \($0.count) by \($0.ruleIDs.joined(separator: ", ")): \($0.reason)" }
                .joined()
        }
    }
}

struct MemoryHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show every version of a memory, oldest first.")

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Argument(help: "The memory (mem_…).") var memory: String

    struct Result: Encodable {
        let versions: [Memory]
    }

    func run() async throws {
        try await options.run {
            let id = try MemoryID(memory)
            return Result(versions: try await options.withOperations(tenant) { try await $0.history(id) })
        } text: {
            MemoryText.render($0.versions)
        }
    }
}
