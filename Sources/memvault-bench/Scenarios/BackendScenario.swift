import Foundation
import MemVault
import MemVaultPostgres
import MemVaultPostgresTestSupport

/// Issue 15: each store operation on PostgreSQL against the same operation on the embedded SQLite default, in the
/// same run, alternating rounds: single adds (one caller, and 64 at once through group commit), a memory read by id,
/// an update (a new version), and a lexical search over 2,000 indexed memories. One server process; PostgreSQL on
/// loopback, with `synchronous_commit = off` as `scripts/postgres` starts it (the durability of SQLite's
/// `synchronous = normal`: a process crash loses nothing, a machine crash at most the last moments).
struct BackendScenario: Scenario {
    let name = "SQLite and PostgreSQL per operation"
    let budget: Duration
    let policies: URL
    let rounds: Int
    /// A PostgreSQL server to measure on (a database of its own is created); nil: a throwaway local cluster.
    let postgres: String?

    struct Backend {
        let bench: BenchInstallation
        let cube: CubeID
        let subject: SubjectID
        let memories: [MemoryID]
    }

    func run() async throws -> ReportSection {
        let database =
            if let postgres {
                try await PostgresURL(postgres).database(named: "memvault_bench_\(UInt32.random(in: 0...UInt32.max))")
            } else {
                try await TestPostgresServer.freshDatabase()
            }
        let sqlite = try await prepare(try await BenchInstallation.make("backends", policies: policies))
        let postgresql = try await prepare(
            try await BenchInstallation.make("backends", postgres: database, policies: policies))
        let sample = Sample()
        var rows: [Measurement] = []
        func compare(_ label: String, _ unit: String, _ operation: (Backend) async throws -> Double) async throws {
            let (ours, baseline) = try await paired(rounds: rounds) {
                try await operation(postgresql)
            } baseline: {
                try await operation(sqlite)
            }
            rows.append(
                Measurement(
                    label: "\(label), PostgreSQL", value: ours, unit: unit, baselineLabel: "SQLite", baseline: baseline,
                    higherIsBetter: true))
        }
        try await compare("single adds, one caller", "adds/s") { backend in
            try await sequentialRate(budget: budget) {
                _ = try await backend.bench.tenant.addMemory(sample.next(), to: backend.cube)
            }
        }
        try await compare("single adds, 64 callers", "adds/s") { backend in
            try await concurrentOperationsPerSecond(budget: budget, workers: 64) {
                _ = try await backend.bench.tenant.addMemory(sample.next(), to: backend.cube)
            }
        }
        try await compare("get by id", "reads/s") { backend in
            try await sequentialRate(budget: budget) {
                _ = try await backend.bench.tenant.memory(backend.memories.randomElement()!)
            }
        }
        try await compare("update (new version)", "updates/s") { backend in
            try await sequentialRate(budget: budget) {
                _ = try await backend.bench.tenant.updateMemory(
                    backend.memories.randomElement()!, MemoryChanges(tags: ["updated-\(Int.random(in: 0..<1_000))"]))
            }
        }
        try await compare("lexical search, k = 10", "searches/s") { backend in
            try await sequentialRate(budget: budget) {
                _ = try await backend.bench.tenant.search(
                    SearchQuery(
                        Self.questions.randomElement()!, in: .cubes([backend.cube]), limit: 10, mode: .lexical))
            }
        }
        try await sqlite.bench.close()
        try await postgresql.bench.close()
        if postgres == nil { TestPostgresServer.stopStartedCluster() }
        return ReportSection(
            title: name,
            description: """
                Each operation of the governed store (decide, seal, index, audit) on PostgreSQL (the backend for \
                several servers; one server process here, the database on loopback) beside the same operation on \
                SQLite in a data folder, in the same run, in alternating rounds (medians of \(rounds)). The cube holds \
                2,000 indexed memories before the first round; adds and updates grow it.
                """,
            rows: rows,
            notes: [
                "A ratio above 1 is how many times slower PostgreSQL is. Every PostgreSQL statement is a round trip "
                    + "to the server and each write transaction takes the tenant's advisory lock, which SQLite, in "
                    + "process, pays for neither."
            ])
    }

    static let questions = ["support group", "camping trip with kids", "Portuguese in Lisbon", "dance studio class"]

    /// A subject's cube with 2,000 indexed memories.
    private func prepare(_ bench: BenchInstallation) async throws -> Backend {
        let subject = try await bench.tenant.resolveSubject(externalID: "backend-user").id
        let cube = try await bench.tenant.createCube(
            NewCube(owner: .subject(subject), name: "notes", defaultCategory: "profile")
        ).id
        let sample = Sample()
        var memories: [MemoryID] = []
        for _ in 0..<4 {
            memories += try await bench.tenant.addMemories((0..<500).map { _ in sample.next() }, to: cube).map(\.id)
        }
        return Backend(bench: bench, cube: cube, subject: subject, memories: memories)
    }
}
