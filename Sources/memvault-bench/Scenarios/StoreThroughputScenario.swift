import Foundation
import GRDB
import MemVault
import MemVaultAudit
import MemVaultPolicy
import MemVaultSQLite

/// Issues 3 and 8: adds (single and batched) and get latency of the governed store, against the same writes into a plain
/// SQLite table without encryption, with the same pragmas, in the same run.
struct StoreThroughputScenario: Scenario {
    let budget: Duration
    let policies: URL
    let name = "store throughput"
    let concurrentWriters = 64
    let batchSize = 500
    /// Rounds per pair of measurements (ours and the baseline, alternating); medians are reported.
    let rounds: Int

    func run() async throws -> ReportSection {
        let bench = try await BenchInstallation.make("store", tenant: "bench", policies: policies)
        let tenant = bench.tenant
        let subject = try await tenant.resolveSubject(externalID: "bench-user")
        let cube = try await tenant.createCube(
            // Without a search index: this scenario measures the governed path (decide, seal, audit) as issue 8
            // set its aims; what indexing adds is measured by the search scenario, against these same adds.
            NewCube(owner: .subject(subject.id), name: "bench", defaultCategory: "profile", analysis: .unindexed))
        let plain = try PlainBaseline(path: bench.folder.appending(path: "plain.sqlite").path)
        let sample = Sample()

        // Each pair runs in alternating rounds; the medians are reported.
        // Sequential single adds: each waits for its own commit.
        let (singleSequential, plainSequential) = try await paired(rounds: rounds) {
            try await rate { _ = try await tenant.addMemory(sample.next(), to: cube.id) }
        } baseline: {
            try await rate {
                try await plain.insert([sample.next()], cube: cube.id.rawValue, subject: subject.id.rawValue)
            }
        }

        // Concurrent single adds: each caller waits for its own durable commit; group commit shares transactions.
        let (singleConcurrent, plainConcurrent) = try await paired(rounds: rounds) {
            try await concurrentRate { _ = try await tenant.addMemory(sample.next(), to: cube.id) }
        } baseline: {
            try await concurrentRate {
                try await plain.insert([sample.next()], cube: cube.id.rawValue, subject: subject.id.rawValue)
            }
        }

        // Batches in one transaction.
        let (batched, plainBatched) = try await paired(rounds: rounds) {
            try await rate {
                _ = try await tenant.addMemories((0..<batchSize).map { _ in sample.next() }, to: cube.id)
            } * Double(batchSize)
        } baseline: {
            try await rate {
                try await plain.insert(
                    (0..<batchSize).map { _ in sample.next() }, cube: cube.id.rawValue, subject: subject.id.rawValue)
            } * Double(batchSize)
        }

        // Get latency over the memories written above: p50 and p99 of each round, medians over rounds.
        let ids = try await allIDs(tenant, cube: cube.id)
        let plainIDs = try plain.ids()
        var gets: [[Double]] = []
        var plainGets: [[Double]] = []
        _ = try await paired(rounds: rounds) {
            gets.append(try await latencies(count: 20_000) { _ = try await tenant.memory(ids.randomElement()!) })
            return 0
        } baseline: {
            plainGets.append(try await latencies(count: 20_000) { try plain.get(plainIDs.randomElement()!) })
            return 0
        }
        func percentile(_ rounds: [[Double]], _ q: Double) -> Double { median(rounds.map { $0.percentile(q) }) }
        try await bench.close()

        let addsUnit = "adds/s"
        let rows = [
            Measurement(
                label: "single durable adds, 1 writer", value: singleSequential, unit: addsUnit,
                baselineLabel: "plain SQLite, 1 writer", baseline: plainSequential, higherIsBetter: true),
            Measurement(
                label: "single durable adds, \(concurrentWriters) writers (group commit)", value: singleConcurrent,
                unit: addsUnit, baselineLabel: "plain SQLite, \(concurrentWriters) writers",
                baseline: plainConcurrent, higherIsBetter: true),
            Measurement(
                label: "batched adds (\(batchSize) per transaction)", value: batched, unit: addsUnit,
                baselineLabel: "plain SQLite, same batches", baseline: plainBatched, higherIsBetter: true),
            Measurement(
                label: "get latency p50 (with its durable audit entry)", value: percentile(gets, 0.50),
                unit: "µs", baselineLabel: "plain SQLite SELECT by id", baseline: percentile(plainGets, 0.50),
                higherIsBetter: false),
            Measurement(
                label: "get latency p99", value: percentile(gets, 0.99), unit: "µs",
                baselineLabel: "plain SQLite SELECT by id", baseline: percentile(plainGets, 0.99),
                higherIsBetter: false),

        ]
        return ReportSection(
            title: "Encrypted store: adds and gets",
            description: """
                One tenant, one personal cube (kept without a search index: indexing is measured in the search section), ~200-byte text memories with two tags and a source detail \
                (WAL, synchronous=NORMAL, secure_delete on). MemVault decides every request with the default policy \
                (the subject's consent and legal holds looked up per request), seals each memory (AES-256-GCM \
                envelope bound to tenant, subject pseudonym, cube, memory, version and key version) and counts \
                data-key use. \
                The baseline writes the same fields, content and tags in plaintext, into a table of the same shape \
                (same indexes) with the same pragmas. Concurrent runs use \(concurrentWriters) writers, each waiting for its own \
                durable commit; group commit shares transactions among them (the baseline uses the same writer).
                """,
            rows: rows,
            notes: [
                "Aims (issue 8): get p50 within 2.5x the plain SELECT; single durable adds with \(concurrentWriters) "
                    + "writers within 1.5x plain SQLite with the same writers; batched adds within 1.3x.",
                "Every figure is the median of \(rounds) rounds, MemVault and the baseline alternating.",
                "This run: "
                    + [(rows[1], 1.5), (rows[2], 1.3), (rows[3], 2.5)].map { $0.against(aim: $1) }
                    .joined(separator: "; ") + ".",
                "Each add decides with the default policy (consent and legal holds read inside the add's own "
                    + "transaction), seals the memory, inserts it and appends its audit entry (hash-chained) in "
                    + "the same transaction; the baseline inserts one plaintext row.",
                "Each get is one unit of work: the memory, its newest superseded version, the subject's consent "
                    + "and the hold registry read in one statement, verified, decided, decrypted and decoded, and "
                    + "its audit entry appended and committed before the memory is returned; the baseline reads "
                    + "the plaintext row.",
            ])
    }

    private func rate(_ body: () async throws -> Void) async throws -> Double {
        try await sequentialRate(budget: budget, body)
    }

    private func concurrentRate(_ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
        try await concurrentOperationsPerSecond(budget: budget, workers: concurrentWriters, body)
    }

    private func latencies(count: Int, _ body: () async throws -> Void) async throws -> [Double] {
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = clock.now
            try await body()
            samples.append(start.duration(to: clock.now).seconds * 1_000_000)
        }
        return samples.sorted()
    }

    private func allIDs(_ tenant: TenantStore, cube: CubeID) async throws -> [MemoryID] {
        var ids: [MemoryID] = []
        var cursor: String?
        repeat {
            let page = try await tenant.memories(in: .cube(cube), after: cursor, limit: 1000)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil && ids.count < 50_000
        return ids
    }
}

/// Realistic memory-sized inputs: a sentence of ~200 bytes, two tags, a source detail.
final class Sample: Sendable {
    private let sentences = [
        "Caroline said she went to the LGBTQ support group yesterday and found it powerful and reassuring.",
        "Melanie is planning a camping trip with her kids next month and wants recommendations for quiet lakes.",
        "The user prefers concise answers in the morning and is learning Portuguese for a trip to Lisbon.",
        "Jon mentioned that his dance studio opened last week and the first class sold out in two days.",
    ]

    func next() -> NewMemory {
        let index = Int.random(in: 0..<sentences.count)
        return NewMemory(
            content: .text(sentences[index] + " " + sentences[(index + 1) % sentences.count]),
            tags: ["topic-\(index)", "session-\(Int.random(in: 0..<100))"], source: .conversation,
            sourceDetail: "session \(Int.random(in: 0..<1000))", occurredAt: .now)
    }
}

/// The baseline: the same fields, content and tags in plaintext, in a table of the same shape.
final class PlainBaseline: Sendable {
    private let pool: DatabasePool
    private let writer: GroupCommitWriter

    init(path: String, withAudit: Bool = false) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE memories (
                        memory_id TEXT PRIMARY KEY NOT NULL, cube_id TEXT NOT NULL, subject_id TEXT,
                        version INTEGER NOT NULL, supersedes INTEGER, status TEXT NOT NULL, memory_type TEXT NOT NULL,
                        category TEXT NOT NULL, source_kind TEXT NOT NULL, content_kind TEXT NOT NULL,
                        content_size INTEGER NOT NULL, occurred_at INTEGER, valid_from INTEGER, valid_until INTEGER,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, key_version INTEGER NOT NULL,
                        content TEXT NOT NULL, tags TEXT NOT NULL, source_detail TEXT
                    ) STRICT;
                    CREATE INDEX memories_by_cube ON memories(cube_id, memory_id);
                    CREATE INDEX memories_by_subject ON memories(subject_id, memory_id);
                    """)
            if withAudit { try db.execute(sql: AuditLogTable.schema) }
        }
        writer = GroupCommitWriter(database: pool, label: "bench.plain")
    }

    func insert(_ memories: [NewMemory], cube: String, subject: String, audit: AuditEntry? = nil) async throws {
        let rows = try memories.map { memory -> StatementArguments in
            let text = if case .text(let text) = memory.content { text } else { "" }
            let now = Int64(Date.now.timeIntervalSince1970 * 1000)
            return [
                try MemoryID.make().rawValue, cube, subject, 1, nil, "active", memory.type.rawValue, "profile",
                memory.source.rawValue, "text", text.utf8.count,
                memory.occurredAt.map { Int64($0.timeIntervalSince1970 * 1000) }, nil, nil, now, now, 1, text,
                memory.tags.joined(separator: "\u{1F}"), memory.sourceDetail,
            ]
        }
        try await writer.write { db, state in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for row in rows { try statement.execute(arguments: row) }
            if let audit { try AuditLogTable.append(db, audit, origin: "memvault.local/bench", state: state) }
        }
    }

    func close() throws {
        try pool.close()
    }

    /// Deletes every row of `subject`, in one statement; how many.
    func deleteSubject(_ subject: String) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM memories WHERE subject_id = ?", arguments: [subject])
            return db.changesCount
        }
    }

    /// Deletes every row of `category` stored before `before` (milliseconds), in one statement; how many.
    func deleteExpired(category: String, before: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM memories WHERE category = ? AND created_at < ?", arguments: [category, before])
            return db.changesCount
        }
    }

    func ids() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT memory_id FROM memories LIMIT 50000") }
    }

    func get(_ id: String) throws {
        _ = try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM memories WHERE memory_id = ?"), arguments: [id])
                .map { row -> (String, String) in (row["content"], row["tags"]) }
        }
    }
}

extension [Double] {
    /// The value at quantile `q` of an ascending array.
    func percentile(_ q: Double) -> Double {
        guard !isEmpty else { return 0 }
        return self[Swift.min(count - 1, Int((Double(count - 1) * q).rounded()))]
    }
}
