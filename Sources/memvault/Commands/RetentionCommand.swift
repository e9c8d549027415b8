import ArgumentParser
import MemVault

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Purge memories past their category's retention.",
        discussion: """
            Needs --role administrator or --role data-protection-officer. Purging deletes, as any deletion does: \
            every version, index entry and embedding, leaving nothing in the files. Legal holds keep what they \
            cover; a category's erasure exception keeps it as long as the exception says.
            """,
        subcommands: [Sweep.self]
    )

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Purge every memory past its category's retention, in recorded batches, showing progress.")
        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Flag(name: .customLong("dry-run"), help: "Count what would be purged; change nothing.") var dryRun = false
        @Option(help: "Memories per batch (one recorded unit of work each).") var batch = 500

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant) { store in
                    try await store.sweepRetention(dryRun: dryRun, batch: batch) { category in
                        Progress.report(
                            "\(category.category): \(category.purged) \(dryRun ? "would be purged" : "purged")"
                                + (category.held > 0 ? ", \(category.held) held" : ""))
                    }
                }
            } text: { sweep in
                var lines = sweep.categories.map { category in
                    "\(category.category) (kept \(category.keptFor)): \(category.purged) "
                        + (sweep.dryRun ? "would be purged" : "purged")
                        + (category.held > 0 ? ", \(category.held) kept under legal hold" : "")
                }
                if lines.isEmpty { lines.append("no category of the policy has a retention") }
                return lines.joined(separator: "\n")
            }
        }
    }
}
