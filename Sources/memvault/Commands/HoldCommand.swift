import ArgumentParser
import MemVault

struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Set, clear and list legal holds: they block deletion, erasure and retention of a subject or cube.",
        discussion: "Holds need --role administrator or --role data-protection-officer.",
        subcommands: [Set.self, Clear.self, List.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a subject or a cube under legal hold.")
        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "Hold this subject (sub_…).") var subject: String?
        @Option(help: "Hold this cube (cube_…).") var cube: String?
        @Option(help: "Why (stored encrypted), e.g. a case reference.") var reason: String

        func validate() throws {
            guard (subject != nil) != (cube != nil) else {
                throw ValidationError("give exactly one of --subject or --cube")
            }
        }

        func run() async throws {
            try await options.run {
                let target: HoldTarget = try subject.map { .subject(try SubjectID($0)) } ?? .cube(try CubeID(cube!))
                return try await options.withOperations(tenant) { try await $0.setHold(on: target, reason: reason) }
            } text: {
                "Legal hold \($0.id) set on \($0.target.description)."
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear a legal hold.")
        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The hold id (hold_…).") var hold: String

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant) { try await $0.clearHold(hold) }
            } text: {
                "Legal hold \($0.id) on \($0.target.description) cleared."
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List legal holds.")
        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Flag(help: "Include cleared holds.") var all = false

        struct Result: Encodable {
            let holds: [LegalHold]
        }

        func run() async throws {
            try await options.run {
                Result(holds: try await options.withOperations(tenant) { try await $0.holds(includeCleared: all) })
            } text: { result in
                result.holds.isEmpty
                    ? "No legal holds."
                    : result.holds.map {
                        "\($0.id)  \($0.target.description)  \($0.isActive ? "active" : "cleared")  set by \($0.setBy) "
                            + "\(Timestamps.format($0.setAt))  \($0.reason)"
                    }.joined(separator: "\n")
            }
        }
    }
}
