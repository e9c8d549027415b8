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
            abstract: "Embed every waiting memory, in batches, showing progress; then stop, or with --follow keep on.")

        @OptionGroup var options: TenantDataOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(
            name: .customLong("cube"),
            help: "This cube (repeatable; default: every cube naming the local model).")
        var cubes: [String] = []
        @Option(help: "Memories per batch (each batch is two recorded units of work around the model).")
        var batch = 256
        @Flag(
            help: """
                Keep running as the background indexer: embed what arrives, checking every --interval seconds when \
                nothing waits, until interrupted (SIGINT or SIGTERM finish the batch in hand, then exit).
                """)
        var follow = false
        @Option(help: "With --follow: seconds between checks when nothing waits.") var interval = 2.0

        func validate() throws {
            guard (1...1_000).contains(batch) else { throw ValidationError("--batch takes 1 to 1000") }
            guard interval > 0, interval <= 3_600 else { throw ValidationError("--interval takes 0 to 3600 seconds") }
            if follow, !cubes.isEmpty { throw ValidationError("--follow covers every cube; drop --cube") }
        }

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    let indexer = BackgroundIndexer(
                        store: store, embedder: model.embedder, batch: batch,
                        interval: .milliseconds(Int(interval * 1000)))
                    if follow {
                        try await Interruption.cancelling { try await indexer.run(progress: Self.report) }
                        return [BackgroundIndexer.CubeSweep]()
                    }
                    return try await indexer.sweep(
                        cubes: cubes.isEmpty ? nil : try cubes.map { try CubeID($0) }, progress: Self.report)
                }
            } text: { sweeps in
                guard !sweeps.isEmpty else { return follow ? "stopped" : "no cube names the local model" }
                return sweeps.map { sweep in
                    "\(sweep.cube)  embedded \(sweep.embedded)"
                        + (sweep.withheld > 0 ? ", withheld \(sweep.withheld)" : "")
                        + (sweep.skipped > 0 ? ", changed meanwhile \(sweep.skipped)" : "")
                        + "; still awaiting \(sweep.awaiting)"
                }.joined(separator: "\n")
            }
        }

        static func report(_ sweep: BackgroundIndexer.CubeSweep, _ awaiting: Int) {
            Progress.report(
                "\(sweep.cube): \(sweep.embedded) of \(awaiting) embedded"
                    + (sweep.withheld > 0 ? ", \(sweep.withheld) withheld by the policy" : ""))
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
