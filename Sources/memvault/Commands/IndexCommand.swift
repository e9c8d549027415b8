import ArgumentParser
import Foundation
import MemVault

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Embed memories in the background: the backlog, a run of the indexer, re-embedding.",
        discussion: """
            Memories of a cube created with --embedder are stored at once and embedded later, in batches, by the \
            local model: nothing leaves the process. `index run` embeds what waits and stops; a server runs it \
            continuously. What waits is derived from what is stored, so an interrupted run resumes where it was.
            """,
        subcommands: [Status.self, Run.self, Reembed.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How many memories await their embedding, per cube, and since when the oldest has.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(name: .customLong("cube"), help: "This cube (repeatable; default: every cube naming an embedder).")
        var cubes: [String] = []

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    var backlogs: [EmbeddingBacklog] = []
                    for cube in try await IndexCommand.embeddedCubes(cubes, in: store) {
                        backlogs.append(try await store.embeddingBacklog(cube))
                    }
                    return backlogs
                }
            } text: { backlogs in
                guard !backlogs.isEmpty else { return "no cube names an embedder" }
                return backlogs.map(IndexCommand.render).joined(separator: "\n")
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed every waiting memory, in batches, showing progress; then stop.")

        @OptionGroup var options: TenantDataOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(name: .customLong("cube"), help: "This cube (repeatable; default: every cube naming an embedder).")
        var cubes: [String] = []
        @Option(help: "Memories per batch (each batch is two recorded units of work around the model).")
        var batch = 256

        struct Outcome: Encodable {
            let cube: CubeID
            var embedded = 0
            var withheld = 0
            var skipped = 0
            var awaiting = 0
        }

        func validate() throws {
            guard (1...1_000).contains(batch) else { throw ValidationError("--batch takes 1 to 1000") }
        }

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    let embedder = model.embedder
                    var outcomes: [Outcome] = []
                    for cube in try await IndexCommand.embeddedCubes(cubes, in: store) {
                        let backlog = try await store.embeddingBacklog(cube)
                        var outcome = Outcome(cube: cube)
                        var after: MemoryID?
                        repeat {
                            let pass = try await store.embedAwaiting(
                                in: cube, with: embedder, after: after, limit: batch)
                            outcome.embedded += pass.embedded
                            outcome.withheld += pass.withheld
                            outcome.skipped += pass.skipped
                            after = pass.next
                            Progress.report(
                                "\(cube): \(outcome.embedded) of \(backlog.awaiting) embedded"
                                    + (outcome.withheld > 0 ? ", \(outcome.withheld) withheld by the policy" : ""))
                        } while after != nil
                        outcome.awaiting = try await store.embeddingBacklog(cube).awaiting
                        outcomes.append(outcome)
                    }
                    return outcomes
                }
            } text: { outcomes in
                guard !outcomes.isEmpty else { return "no cube names an embedder" }
                return outcomes.map { outcome in
                    "\(outcome.cube)  embedded \(outcome.embedded)"
                        + (outcome.withheld > 0 ? ", withheld \(outcome.withheld)" : "")
                        + (outcome.skipped > 0 ? ", changed meanwhile \(outcome.skipped)" : "")
                        + "; still awaiting \(outcome.awaiting)"
                }.joined(separator: "\n")
            }
        }
    }

    struct Reembed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a cube's embeddings so that `index run` embeds every memory again (after a model change).")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The cube (cube_…).") var cube: String

        struct Outcome: Encodable {
            let cube: CubeID
            let removed: Int
        }

        func run() async throws {
            try await options.run {
                let cube = try CubeID(cube)
                return Outcome(cube: cube, removed: try await options.withTenant(tenant) { try await $0.reembed(cube) })
            } text: { outcome in
                "\(outcome.cube): \(outcome.removed) embeddings removed; `memvault index run` embeds them again"
            }
        }
    }

    /// The cubes given, or every cube of the tenant that names an embedder.
    static func embeddedCubes(_ given: [String], in store: TenantStore) async throws -> [CubeID] {
        guard given.isEmpty else { return try given.map { try CubeID($0) } }
        var cubes: [CubeID] = []
        var cursor: String?
        repeat {
            let page = try await store.cubes(after: cursor, limit: 500)
            cubes += page.items.filter { $0.embedder != nil }.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        return cubes
    }

    static func render(_ backlog: EmbeddingBacklog) -> String {
        var line = "\(backlog.cube)  \(backlog.embedder)  awaiting \(backlog.awaiting)"
        if let since = backlog.oldestAwaitingSince {
            let seconds = max(0, Date().timeIntervalSince(since))
            line += ", the oldest since \(Timestamps.format(since)) (\(Int(seconds)) s)"
        }
        return line
    }
}

/// Progress of long work, on standard error: one line per step, so standard output stays the result.
enum Progress {
    static func report(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
