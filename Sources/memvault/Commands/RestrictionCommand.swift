import ArgumentParser
import MemVault

struct RestrictionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restriction",
        abstract: "Restrict processing of a subject's memories (GDPR Art. 18): stored, used only for given purposes.",
        discussion: "Setting and lifting need the data-protection officer (the default role here).",
        subcommands: [Set.self, Lift.self, List.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restrict processing of a subject's memories.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @OptionGroup var subject: SubjectOptions
        @Option(name: .customLong("category"), help: "Restrict only this category (repeatable; default: all).")
        var categories: [String] = []
        @Option(name: .customLong("allow"), help: "A purpose that may still process them (repeatable; default: none).")
        var purposes: [String] = []
        @Option(
            help: "The Art. 18(1) ground: accuracy-contested, unlawful-processing, legal-claims, objection-pending.")
        var ground: Restriction.Ground

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    try await store.restrictProcessing(
                        of: try await subject.resolve(in: store), categories: categories, purposes: purposes,
                        ground: ground)
                }
            } text: {
                RestrictionCommand.describe($0)
            }
        }
    }

    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a restriction.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The restriction (rst_…).") var restriction: String

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { try await $0.liftRestriction(restriction) }
            } text: {
                RestrictionCommand.describe($0)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List restrictions.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Flag(help: "Include lifted restrictions.") var all = false

        struct Result: Encodable {
            let restrictions: [Restriction]
        }

        func run() async throws {
            try await options.run {
                Result(
                    restrictions: try await options.withTenant(tenant) { try await $0.restrictions(includeLifted: all) }
                )
            } text: { result in
                result.restrictions.isEmpty
                    ? "No restrictions." : result.restrictions.map(RestrictionCommand.describe).joined(separator: "\n")
            }
        }
    }

    static func describe(_ restriction: Restriction) -> String {
        "\(restriction.id)  \(restriction.subject)  \(restriction.isActive ? "active" : "lifted")  "
            + (restriction.categories.isEmpty ? "all categories" : restriction.categories.joined(separator: ", "))
            + "  only for: " + (restriction.purposes.isEmpty ? "storage" : restriction.purposes.joined(separator: ", "))
            + "  (\(restriction.ground.rawValue), \(restriction.ground.article))"
    }
}
