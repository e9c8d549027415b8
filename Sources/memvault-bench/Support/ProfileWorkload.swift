import Foundation
import MemVault
import MemVaultPolicy
import MemVaultSQLite

/// One store operation run over and over, with no baseline: for `perf record` and other profilers
/// (`memvault-bench --profile get --seconds 10`).
struct ProfileWorkload {
    enum Kind: String, CaseIterable {
        case get, add, concurrentAdd = "concurrent-add", batch
        /// The baselines' side of the same workloads, to compare profiles.
        case plainConcurrentAdd = "plain-concurrent-add", plainBatch = "plain-batch"
    }

    let kind: Kind
    let seconds: Double
    /// Whether the cube keeps a search index (the store scenario's cube does not).
    var indexed = false
    let policies: URL

    func run() async throws {
        let bench = try await BenchInstallation.make("profile", policies: policies)
        let tenant = bench.tenant
        let folder = bench.folder
        let subject = try await tenant.resolveSubject(externalID: "bench-user")
        let cube = try await tenant.createCube(
            NewCube(
                owner: .subject(subject.id), name: "bench", defaultCategory: "profile",
                analysis: indexed ? .standard : .unindexed))
        let sample = Sample()
        let ids = try await tenant.addMemories((0..<1_000).map { _ in sample.next() }, to: cube.id).map(\.id)
        let budget = Duration.milliseconds(Int(seconds * 1000))
        let operations: Double
        switch kind {
        case .get:
            operations = try await sequentialRate(budget: budget) { _ = try await tenant.memory(ids.randomElement()!) }
        case .add:
            operations = try await sequentialRate(budget: budget) {
                _ = try await tenant.addMemory(sample.next(), to: cube.id)
            }
        case .concurrentAdd:
            operations = try await concurrentOperationsPerSecond(budget: budget, workers: 64) {
                _ = try await tenant.addMemory(sample.next(), to: cube.id)
            }
        case .batch:
            operations =
                try await sequentialRate(budget: budget) {
                    _ = try await tenant.addMemories((0..<500).map { _ in sample.next() }, to: cube.id)
                } * 500
        case .plainConcurrentAdd:
            let plain = try PlainBaseline(path: folder.appending(path: "plain.sqlite").path)
            defer { try? plain.close() }
            operations = try await concurrentOperationsPerSecond(budget: budget, workers: 64) {
                try await plain.insert([sample.next()], cube: cube.id.rawValue, subject: subject.id.rawValue)
            }
        case .plainBatch:
            let plain = try PlainBaseline(path: folder.appending(path: "plain.sqlite").path)
            defer { try? plain.close() }
            operations =
                try await sequentialRate(budget: budget) {
                    try await plain.insert(
                        (0..<500).map { _ in sample.next() }, cube: cube.id.rawValue, subject: subject.id.rawValue)
                } * 500
        }
        try await bench.close()
        print("\(kind.rawValue): \(format(operations)) operations/s")
    }
}
