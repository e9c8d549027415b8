import ArgumentParser
import Foundation

/// MemVault's benchmark program: every figure an issue asks for is one scenario, measured in the same run as its
/// baseline, and the whole report is written to docs/benchmarks.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memvault-bench",
        abstract: "Measure MemVault against its baselines and write docs/benchmarks.md.",
        discussion: """
            Build everything in release mode for meaningful figures (the import scenario runs the memvault \
            binary built beside this one): swift build -c release && .build/release/memvault-bench
            """
    )

    @Option(help: "Where to write the Markdown report.") var output = "docs/benchmarks.md"
    @Option(help: "Seconds to spend on each measurement.") var seconds = 1.0
    @Option(help: "Run only scenarios whose name contains this text.") var only: String?
    @Option(help: "The policies folder.") var policies = "Policies"
    @Option(help: "Rounds per pair of measurements (MemVault and its baseline, alternating); medians are reported.")
    var rounds = 3
    @Option(name: .customLong("import-lines"), help: "Lines in the import scenario.") var importLines = 100_000
    @Option(
        help: ArgumentHelp(
            "The LoCoMo file for the retrieval scenario (CC BY-NC 4.0: read from outside the repository).",
            valueName: "file"))
    var locomo = "../shared/data/locomo/locomo-dev.json"
    @Option(name: .customLong("mcp-calls"), help: "Calls per tool and transport in the MCP scenario.") var mcpCalls =
        300
    @Option(name: .customLong("portability-memories"), help: "Memories in the portability scenario's cube.")
    var portabilityMemories = 10_000
    @Option(name: .customLong("load-tenants"), help: "Tenants in the server load scenario.") var loadTenants = 50
    @Option(name: .customLong("load-memories"), help: "Memories per tenant's subject in the server load scenario.")
    var loadMemories = 10_000
    @Option(name: .customLong("load-seconds"), help: "Seconds wrk drives each operation.") var loadSeconds = 10
    @Option(name: .customLong("load-connections"), help: "Connections wrk keeps open.") var loadConnections = 64
    @Option(name: .customLong("scale-tenants"), help: "Tenants in the PostgreSQL scale-out scenario.")
    var scaleTenants = 10
    @Option(name: .customLong("move-memories"), help: "Memories of the tenant the scale-out scenario moves.")
    var moveMemories = 10_000
    @Option(
        help: ArgumentHelp(
            "A PostgreSQL server for the PostgreSQL scenarios (databases of their own are made; default: a throwaway local "
                + "cluster, scripts/postgres).", valueName: "url"))
    var postgres: String?
    @Option(help: ArgumentHelp("The folder holding all-MiniLM-L6-v2/ (./scripts/fetch-model).", valueName: "folder"))
    var models = "Models"
    @Option(
        help: ArgumentHelp(
            "The folder of the numpy reference implementation of all-MiniLM-L6-v2 (the embedding baseline).",
            valueName: "folder"))
    var minilmReference = "../shared/data/minilm"
    @Option(
        help: ArgumentHelp(
            "Instead of the report, run one workload for --seconds, for a profiler: "
                + ProfileWorkload.Kind.allCases.map(\.rawValue).joined(separator: ", ") + ".",
            valueName: "workload"))
    var profile: String?
    @Flag(help: "With --profile: the cube keeps a search index.") var indexed = false

    func run() async throws {
        if let profile {
            guard let kind = ProfileWorkload.Kind(rawValue: profile) else {
                throw ValidationError("unknown workload '\(profile)'")
            }
            try await ProfileWorkload(
                kind: kind, seconds: seconds, indexed: indexed, policies: URL(filePath: policies)
            ).run()
            return
        }
        let budget = Duration.milliseconds(Int(seconds * 1000))
        let scenarios: [any Scenario] = [
            CryptoThroughputScenario(budget: budget),
            StoreThroughputScenario(budget: budget * 2, policies: URL(filePath: policies), rounds: rounds),
            ImportScenario(lines: importLines, rounds: rounds, policies: URL(filePath: policies)),
            PolicyDecisionScenario(budget: budget, policies: URL(filePath: policies)),
            AuditScenario(budget: budget, rounds: rounds),
            SearchScenario(budget: budget, policies: URL(filePath: policies), rounds: rounds),
            RetentionScenario(policies: URL(filePath: policies), rounds: rounds),
            ResidueScenario(policies: URL(filePath: policies)),
            ErasureScenario(policies: URL(filePath: policies), rounds: rounds),
            LoCoMoScenario(
                file: URL(filePath: locomo), policies: URL(filePath: policies), models: URL(filePath: models)),
            EmbeddingScenario(
                locomo: URL(filePath: locomo), models: URL(filePath: models),
                referenceFolder: URL(filePath: minilmReference)),
            MCPLatencyScenario(policies: URL(filePath: policies), calls: mcpCalls),
            PortabilityScenario(policies: URL(filePath: policies), memories: portabilityMemories, rounds: rounds),
            BackendScenario(budget: budget, policies: URL(filePath: policies), rounds: rounds, postgres: postgres),
            ServerLoadScenario(
                policies: URL(filePath: policies), tenants: loadTenants, memories: loadMemories, seconds: loadSeconds,
                connections: loadConnections),
            ScaleOutScenario(
                policies: URL(filePath: policies), tenants: scaleTenants, memories: 1_000, seconds: loadSeconds,
                connections: loadConnections, moveMemories: moveMemories, postgres: postgres),
        ]
        var report = Report()
        for scenario in scenarios where only.map({ scenario.name.localizedCaseInsensitiveContains($0) }) ?? true {
            print("== \(scenario.name)")
            let section = try await scenario.run()
            for row in section.rows { print("   \(row.plainText)") }
            report.sections.append(section)
        }
        try report.markdown().write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output)")
    }
}
