import Foundation
import MemVaultEmbedding

/// Issue 10: the local embedder's speed on LoCoMo turns ("speaker: text") and questions, against the numpy float32
/// reference implementation (`../shared/data/minilm/minilm_reference.py`) on the same texts in the same run.
struct EmbeddingScenario: Scenario {
    let locomo: URL
    let models: URL
    let referenceFolder: URL
    let name = "embedding"
    let sentenceCount = 1_000
    let queryCount = 200

    func run() async throws -> ReportSection {
        let samples = try LoCoMoScenario.load(locomo)
        let turns = samples.flatMap { $0.sessions.flatMap(\.turns) }.map { "\($0.speaker): \($0.text)" }
        let questions = samples.flatMap(\.questions).map(\.text)
        let sentences = Array(turns.prefix(sentenceCount))
        let queries = Array(questions.prefix(queryCount))

        let loadStart = ContinuousClock.now
        let embedder = try MiniLMEmbedder(folder: models.appending(path: MiniLMEmbedder.modelName))
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        _ = try await embedder.embed(Array(sentences.prefix(8)))
        let start = ContinuousClock.now
        let vectors = try await embedder.embed(sentences)
        let rate = Double(vectors.count) / (ContinuousClock.now - start).seconds
        var latencies: [Double] = []
        for query in queries {
            let started = ContinuousClock.now
            _ = try await embedder.embed([query])
            latencies.append((ContinuousClock.now - started).seconds * 1000)
        }
        latencies.sort()

        let baseline = try? numpyBaseline(sentences: sentences, queries: queries)
        let baselineLabel = "numpy float32 reference"
        let rows = [
            Measurement(
                label: "embedding LoCoMo turns (\(sentences.count), batched)", value: rate, unit: "sentences/s",
                baselineLabel: baseline == nil ? nil : baselineLabel, baseline: baseline?.rate, higherIsBetter: true),
            Measurement(
                label: "query embedding p50 (one question at a time)", value: latencies.percentile(0.5), unit: "ms",
                baselineLabel: baseline == nil ? nil : baselineLabel, baseline: baseline?.queries.percentile(0.5),
                higherIsBetter: false),
            Measurement(
                label: "query embedding p99", value: latencies.percentile(0.99), unit: "ms",
                baselineLabel: baseline == nil ? nil : baselineLabel, baseline: baseline?.queries.percentile(0.99),
                higherIsBetter: false),
        ]
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var notes = [
            "Aims (issue 10): at least 150 sentences/s on this \(cores)-core machine; query embedding p50 under 10 ms. "
                + "This run: \(format(rate)) sentences/s (\(rate >= 150 ? "met" : "not met")), p50 "
                + "\(String(format: "%.2f", latencies.percentile(0.5))) ms "
                + "(\(latencies.percentile(0.5) < 10 ? "met" : "not met")).",
            "Loading and verifying the model (SHA-256 of both files, 91 MB): \(String(format: "%.2f", loadSeconds)) s, "
                + "once per process.",
        ]
        if baseline == nil {
            notes.append("python3 with numpy or the reference implementation was not available: no baseline this run.")
        }
        return ReportSection(
            title: "Local embedder (all-MiniLM-L6-v2)",
            description: """
                MemVault's embedder in Swift: BERT WordPiece tokenisation, six encoder layers with their matrix \
                products through OpenBLAS (one thread per product, batches of similar length in parallel on every \
                core, no padding), mean pooling, L2 normalisation. The first \(sentences.count) LoCoMo turns as \
                "speaker: text", then the first \(queries.count) questions one at a time. The baseline is the numpy \
                reference implementation on the same texts (padded batches of 64 sorted by length, numpy's BLAS).
                """,
            rows: rows, notes: notes)
    }

    private func numpyBaseline(sentences: [String], queries: [String]) throws -> (rate: Double, queries: [Double]) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "minilm-baseline-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appending(path: "input.json")
        let output = folder.appending(path: "output.json")
        try JSONSerialization.data(withJSONObject: ["sentences": sentences, "queries": queries]).write(to: input)
        let object = try PythonBaseline.run(
            "scripts/bench/minilm_numpy_baseline.py",
            [
                "--reference-dir", referenceFolder.path, "--model-dir",
                models.appending(path: MiniLMEmbedder.modelName).path, "--input", input.path, "--output", output.path,
            ], output: output)
        guard let rate = object["sentences_per_second"] as? Double, let latencies = object["query_ms"] as? [Double]
        else { throw ScenarioFailure("minilm_numpy_baseline.py failed") }
        return (rate, latencies.sorted())
    }
}
