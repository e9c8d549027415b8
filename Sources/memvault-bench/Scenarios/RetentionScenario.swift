import Foundation
import MemVault
import MemVaultPolicy
import Synchronization

/// Issue 11: how fast a retention sweep purges. 10,000 conversation memories (indexed, with 16-dimensional
/// embeddings) are stored, the store's clock moves past their 90-day retention, and `sweepRetention` purges them:
/// each verified, checked against holds, deleted with its history, index entry and embedding in recorded batches of
/// 500, then the files cleaned (index segments merged, WAL checkpointed and truncated). The baseline deletes the
/// same number of plaintext rows of the same shape, by category and age, in one statement.
struct RetentionScenario: Scenario {
    let policies: URL
    let rounds: Int
    let name = "retention"
    let count = 10_000

    func run() async throws -> ReportSection {
        var purged: [Double] = []
        var plain: [Double] = []
        for _ in 0..<rounds {
            purged.append(try await sweepRate())
            plain.append(try await plainRate())
        }
        let rows = [
            Measurement(
                label: "retention sweep, \(count) expired memories (purged, no residue)", value: median(purged),
                unit: "memories/s", baselineLabel: "plain SQLite DELETE by category and age", baseline: median(plain),
                higherIsBetter: true)
        ]
        return ReportSection(
            title: "Retention sweeps",
            description: """
                10,000 memories of the `conversation` category (90-day retention under the default policy), indexed \
                and with 16-dimensional embeddings, purged once the store's clock has moved past it: each verified \
                (its creation time is bound to its ciphertext), checked against legal holds, deleted with its \
                history, index entry and embedding in recorded batches of 500, then the files cleaned (index \
                segments merged, WAL checkpointed and truncated). The baseline deletes as many plaintext rows of the \
                same shape in one statement, with secure_delete on.
                """,
            rows: rows,
            notes: ["Median of \(rounds) rounds, MemVault and the baseline alternating; the cleaning is included."])
    }

    private func sweepRate() async throws -> Double {
        let offset = Mutex<TimeInterval>(0)
        let bench = try await BenchInstallation.make(
            "retention", policies: policies, now: { Date().addingTimeInterval(offset.withLock { $0 }) })
        let tenant = bench.tenant
        let subject = try await tenant.resolveSubject(externalID: "bench-user").id
        let cube = try await tenant.createCube(
            NewCube(
                owner: .subject(subject), name: "bench", defaultCategory: "conversation", embeddingDimension: 16))
        let sample = Sample()
        for _ in 0..<(count / 500) {
            _ = try await tenant.addMemories(
                (0..<500).map { _ in
                    var memory = sample.next()
                    memory.embedding = (0..<16).map { _ in Float.random(in: -1...1) }
                    return memory
                }, to: cube.id)
        }
        _ = try await tenant.search(SearchQuery("trip", in: .subject(subject)))
        offset.withLock { $0 = 91 * 86_400 }
        let administrator = try await bench.store.tenant(
            tenant.tenant, as: AccessContext(actor: "bench-admin", role: .administrator))
        let start = ContinuousClock.now
        let sweep = try await administrator.sweepRetention()
        let seconds = (ContinuousClock.now - start).seconds
        try await bench.close()
        guard sweep.purged == count else {
            throw ScenarioFailure("the sweep purged \(sweep.purged) of \(count)")
        }
        return Double(count) / seconds
    }

    private func plainRate() async throws -> Double {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-plain-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try PlainBaseline(path: folder.appending(path: "plain.sqlite").path)
        let sample = Sample()
        for _ in 0..<(count / 500) {
            try await plain.insert((0..<500).map { _ in sample.next() }, cube: "cube", subject: "subject")
        }
        let start = ContinuousClock.now
        let deleted = try plain.deleteExpired(category: "profile", before: Int64.max)
        let seconds = (ContinuousClock.now - start).seconds
        try plain.close()
        guard deleted == count else { throw ScenarioFailure("deleted \(deleted) of \(count)") }
        return Double(count) / seconds
    }
}
