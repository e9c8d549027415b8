import Foundation
import GRDB
import MemVault
import MemVaultPolicy
import MemVaultSQLite

/// Issue 9: lexical search latency at 10,000 and 100,000 memories of one subject (each search decided, its
/// matches verified, opened and decided, and its audit entry committed), against a plaintext FTS5 table of the
/// same texts queried for the same words in the same run; and the cost of indexing on adds, against adds into a
/// cube kept without a search index.
struct SearchScenario: Scenario {
    let budget: Duration
    let policies: URL
    let rounds: Int
    let name = "search"
    let queries = 1_000
    let k = 10

    func run() async throws -> ReportSection {
        let bench = try await BenchInstallation.make("search", tenant: "bench", policies: policies)
        let tenant = bench.tenant
        let subject = try await tenant.resolveSubject(externalID: "bench-user").id
        let cube = try await tenant.createCube(
            NewCube(owner: .subject(subject), name: "search", defaultCategory: "conversation")
        ).id
        let plain = try PlainFullText(path: bench.folder.appending(path: "plain.sqlite").path)
        var corpus = SyntheticText(seed: 7)

        var rows: [Measurement] = []
        var stored = 0
        for size in [10_000, 100_000] {
            while stored < size {
                let texts = (0..<500).map { _ in corpus.text() }
                _ = try await tenant.addMemories(texts.map { NewMemory(content: .text($0)) }, to: cube)
                try plain.insert(texts)
                stored += texts.count
            }
            let questions = (0..<queries).map { _ in corpus.query() }
            var ours: [Double] = []
            var theirs: [Double] = []
            let clock = ContinuousClock()
            for question in questions {
                var start = clock.now
                _ = try await tenant.search(SearchQuery(question, in: .subject(subject), limit: k))
                ours.append((clock.now - start).seconds * 1e6)
                start = clock.now
                _ = try plain.search(question, k: k)
                theirs.append((clock.now - start).seconds * 1e6)
            }
            ours.sort()
            theirs.sort()
            for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
                rows.append(
                    Measurement(
                        label: "lexical search \(name), \(size.formatted()) memories (top \(k), with its audit entry)",
                        value: ours.percentile(q), unit: "µs", baselineLabel: "plaintext FTS5, same words",
                        baseline: theirs.percentile(q), higherIsBetter: false))
            }
        }
        try plain.close()
        rows += try await vectorRows(tenant, subject: subject, corpus: &corpus)

        // Adds with and without indexing: the same batches into an indexed cube and into one without an index.
        let unindexed = try await tenant.createCube(
            NewCube(owner: .subject(subject), name: "unindexed", defaultCategory: "conversation", analysis: .unindexed)
        ).id
        let (indexedAdds, unindexedAdds) = try await paired(rounds: rounds) {
            try await sequentialRate(budget: budget) {
                _ = try await tenant.addMemories(
                    (0..<500).map { _ in NewMemory(content: .text(corpus.text())) }, to: cube)
            } * 500
        } baseline: {
            try await sequentialRate(budget: budget) {
                _ = try await tenant.addMemories(
                    (0..<500).map { _ in NewMemory(content: .text(corpus.text())) }, to: unindexed)
            } * 500
        }
        rows.append(
            Measurement(
                label: "batched adds (500) with indexing", value: indexedAdds, unit: "adds/s",
                baselineLabel: "the same adds, cube without an index", baseline: unindexedAdds, higherIsBetter: true))
        let (singleIndexed, singleUnindexed) = try await paired(rounds: rounds) {
            try await sequentialRate(budget: budget) {
                _ = try await tenant.addMemory(NewMemory(content: .text(corpus.text())), to: cube)
            }
        } baseline: {
            try await sequentialRate(budget: budget) {
                _ = try await tenant.addMemory(NewMemory(content: .text(corpus.text())), to: unindexed)
            }
        }
        rows.append(
            Measurement(
                label: "single durable adds with indexing", value: singleIndexed, unit: "adds/s",
                baselineLabel: "the same adds, cube without an index", baseline: singleUnindexed,
                higherIsBetter: true))
        try await bench.close()

        func verdict(_ label: String, _ limit: Double) -> String {
            guard let row = rows.first(where: { $0.label.hasPrefix(label) }) else { return "" }
            return "\(label): \(format(row.value)) µs (aim < \(format(limit)) µs): "
                + (row.value < limit ? "met" : "not met")
        }
        return ReportSection(
            title: "Search: latency and the cost of indexing",
            description: """
                One subject, one cube, synthetic memories of 10–40 words drawn from a 20,000-word vocabulary with \
                Zipf-like frequencies (a few words very common, most rare); queries of 2–4 words drawn the same way \
                from beyond the 100 most frequent words. \
                Each search is one unit of work: the subject decided, the blind index ranked (BM25), the top \(k) \
                verified, opened and decided, and the audit entry committed. The baseline is a plaintext SQLite \
                FTS5 table of the same texts (unicode61 tokenizer), the same words OR-ed, top \(k) with their text. \
                Indexing: batches of 500 and single durable adds into the indexed cube against the same adds into a \
                cube created without a search index (paired rounds, medians of \(rounds)).
                """,
            rows: rows,
            notes: [
                "Aims (issue 9): lexical p99 < 2 ms at 10,000 and < 5 ms at 100,000 memories, each with its audit "
                    + "entry; adds with indexing within 1.5x of adds without it.",
                "Aims (issue 9): vector search p99 < 10 ms at 100,000 vectors of 384 dimensions; hybrid p99 < 15 ms.",
                "This run: " + verdict("lexical search p99, 10,000", 2_000) + "; "
                    + verdict("lexical search p99, 100,000", 5_000) + "; "
                    + verdict("vector search p99", 10_000) + "; " + verdict("hybrid search p99", 15_000) + "; "
                    + rows.suffix(2).map { $0.against(aim: 1.5) }.joined(separator: "; ") + ".",
            ])
    }
}

extension SearchScenario {
    static let dimension = 384
    static let vectorCount = 100_000

    /// Vector and hybrid search over 100,000 embeddings of 384 dimensions (random unit-scale vectors: exact search
    /// costs the same whatever they are), against exact cosine over the same vectors held in plaintext in memory.
    func vectorRows(_ tenant: TenantStore, subject: SubjectID, corpus: inout SyntheticText) async throws
        -> [Measurement]
    {
        let cube = try await tenant.createCube(
            NewCube(
                owner: .subject(subject), name: "vectors", defaultCategory: "conversation",
                embeddingDimension: Self.dimension)
        ).id
        var generator = SplitMix(state: 99)
        func vector() -> [Float] {
            (0..<Self.dimension).map { _ in Float(Int(generator.next() % 20_001) - 10_000) / 10_000 }
        }
        var plaintext: [(MemoryID, [Float])] = []
        plaintext.reserveCapacity(Self.vectorCount)
        while plaintext.count < Self.vectorCount {
            let batch = (0..<500).map { _ in (corpus.text(), vector()) }
            let added = try await tenant.addMemories(
                batch.map { NewMemory(content: .text($0.0), embedding: $0.1) }, to: cube)
            plaintext += zip(added.map(\.id), batch.map(\.1)).map { ($0, $1) }
        }
        let baseline = VectorSet(generation: 0, dimension: Self.dimension, vectors: plaintext)
        let clock = ContinuousClock()
        // The first search opens every embedding into the cache.
        var start = clock.now
        _ = try await tenant.search(SearchQuery("", in: .cubes([cube]), limit: k, vector: vector()))
        let coldLoad = (clock.now - start).seconds * 1e3
        var vectorLatencies: [Double] = []
        var hybridLatencies: [Double] = []
        var baselineLatencies: [Double] = []
        for _ in 0..<200 {
            let query = vector()
            start = clock.now
            _ = try await tenant.search(SearchQuery("", in: .cubes([cube]), limit: k, vector: query))
            vectorLatencies.append((clock.now - start).seconds * 1e6)
            start = clock.now
            _ = try await tenant.search(SearchQuery(corpus.query(), in: .cubes([cube]), limit: k, vector: query))
            hybridLatencies.append((clock.now - start).seconds * 1e6)
            start = clock.now
            _ = baseline.nearest(query, limit: k)
            baselineLatencies.append((clock.now - start).seconds * 1e6)
        }
        vectorLatencies.sort()
        hybridLatencies.sort()
        baselineLatencies.sort()
        let label = "exact cosine over the same vectors in plaintext, in memory"
        return [
            Measurement(
                label: "vector search p50, 100,000 × 384 (top \(k), with its audit entry)",
                value: vectorLatencies.percentile(0.5), unit: "µs", baselineLabel: label,
                baseline: baselineLatencies.percentile(0.5), higherIsBetter: false),
            Measurement(
                label: "vector search p99, 100,000 × 384", value: vectorLatencies.percentile(0.99), unit: "µs",
                baselineLabel: label, baseline: baselineLatencies.percentile(0.99), higherIsBetter: false),
            Measurement(
                label: "hybrid search p99, 100,000 memories (lexical + vector, linear fusion)",
                value: hybridLatencies.percentile(0.99), unit: "µs", baselineLabel: label,
                baseline: baselineLatencies.percentile(0.99), higherIsBetter: false),
            Measurement(
                label: "opening 100,000 embeddings into the cache (first vector search)", value: coldLoad, unit: "ms",
                baselineLabel: nil, baseline: nil, higherIsBetter: false),
        ]
    }
}

/// Pseudo-words with Zipf-like frequencies: realistic posting-list lengths for a lexical index.
struct SyntheticText {
    private var generator: SplitMix
    private let vocabulary: [String]

    init(seed: UInt64) {
        generator = SplitMix(state: seed)
        var letters = SplitMix(state: seed &+ 1)
        vocabulary = (0..<20_000).map { index in
            String((0..<(3 + index % 7)).map { _ in Character(UnicodeScalar(97 + Int(letters.next() % 26))!) })
        }
    }

    /// A word of Zipf rank at least `minimumRank`.
    private mutating func word(minimumRank: Int = 1) -> String {
        let low = log(Double(minimumRank)) / log(Double(vocabulary.count))
        let u = low + (1 - low) * Double(generator.next() % 1_000_000) / 1_000_000
        return vocabulary[min(Int(pow(Double(vocabulary.count), u)), vocabulary.count) - 1]
    }

    mutating func text() -> String {
        (0..<(10 + Int(generator.next() % 31))).map { _ in word() }.joined(separator: " ")
    }

    /// What people search for: content words, not the hundred most frequent ones (which a stop list or a
    /// vanishing idf takes out of any real query).
    mutating func query() -> String {
        (0..<(2 + Int(generator.next() % 3))).map { _ in word(minimumRank: 100) }.joined(separator: " ")
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The baseline: the same texts in a plaintext FTS5 table, same pragmas as the store.
final class PlainFullText {
    private let pool: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in try db.execute(sql: "CREATE VIRTUAL TABLE texts USING fts5(text)") }
    }

    func insert(_ texts: [String]) throws {
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO texts (text) VALUES (?)")
            for text in texts { try statement.execute(arguments: [text]) }
        }
    }

    func search(_ query: String, k: Int) throws -> [String] {
        let match = query.split(separator: " ").map { "\"\($0)\"" }.joined(separator: " OR ")
        return try pool.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT text FROM texts WHERE texts MATCH ? ORDER BY rank LIMIT ?"),
                arguments: [match, k])
        }
    }

    func close() throws { try pool.close() }
}
