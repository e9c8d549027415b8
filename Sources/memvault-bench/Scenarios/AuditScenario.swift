import Foundation
import GRDB
import MemVault
import MemVaultAudit
import MemVaultCrypto
import MemVaultSQLite

/// Issue 5: what the audit log costs a write, and how fast a log verifies.
struct AuditScenario: Scenario {
    let budget: Duration
    let name = "audit log"
    let writers = 64
    /// Rounds per pair of measurements, alternating; medians are reported.
    let rounds: Int

    func run() async throws -> ReportSection {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try PlainBaseline(path: folder.appending(path: "plain.sqlite").path)
        let audited = try PlainBaseline(path: folder.appending(path: "audited.sqlite").path, withAudit: true)
        let sample = Sample()
        let draft = AuditEntry(
            sequence: 0, time: 1_795_000_000_000, actor: "assistant-app", role: "application", action: .write,
            purpose: "personalisation", subject: "apn_3f1c8a0d5b7e9a2c4d6f8a0b1c2d3e4f",
            cube: "cube_01M7Z09XPGWVDHFHX463NR2G75", memories: ["mem_01M7Z09XWA2A1WS7RMS1TWVTJT"], effect: .permit,
            ruleIDs: ["application-processing"], policyRevision: String(repeating: "7d", count: 32))
        let (withAudit, withoutAudit) = try await paired(rounds: rounds) {
            try await concurrentRate {
                try await audited.insert([sample.next()], cube: "cube_x", subject: "sub_x", audit: draft)
            }
        } baseline: {
            try await concurrentRate { try await plain.insert([sample.next()], cube: "cube_x", subject: "sub_x") }
        }
        let (sequentialAudited, sequential) = try await paired(rounds: rounds) {
            try await rate { try await audited.insert([sample.next()], cube: "cube_x", subject: "sub_x", audit: draft) }
        } baseline: {
            try await rate { try await plain.insert([sample.next()], cube: "cube_x", subject: "sub_x") }
        }

        // Verification speed on one core, over an in-memory log of realistic entries.
        let count = 200_000
        var log = try AuditLogSnapshot(origin: "memvault.local/bench")
        for sequence in 1...count {
            var entry = draft
            entry.sequence = UInt64(sequence)
            entry.time += Int64(sequence)
            entry.action = sequence % 3 == 0 ? .read : .write
            entry.returned = sequence % 3 == 0 ? 1 : 0
            try log.append(entry)
        }
        let clock = ContinuousClock()
        var start = clock.now
        guard try AuditChain.verify(log.entries, origin: log.origin) == nil else { throw CancellationError() }
        let chainSeconds = start.duration(to: clock.now).seconds
        start = clock.now
        var digest = [UInt8]()
        let digester = try SHA256Digester()
        for entry in log.entries { digest = try digester.hash(entry.encoded) }
        let hashSeconds = start.duration(to: clock.now).seconds
        start = clock.now
        _ = try MerkleTree.root(log.leafHashes)
        let treeSeconds = start.duration(to: clock.now).seconds
        _ = digest
        let bytes = log.entries.reduce(0) { $0 + $1.encoded.count } / count

        return ReportSection(
            title: "Audit log: append cost and verification speed",
            description: """
                Append cost: the same ~200-byte memory rows written into a plain table (WAL, synchronous=NORMAL), \
                with and without an audit entry appended in the same transaction (chain tail read, canonical \
                encoding, SHA-256, insert), by \(writers) concurrent writers through group commit and by one. \
                Verification: recomputing the chain (sequence check, SHA-256 of previous hash ‖ entry) over \(count) entries of \
                ~\(bytes) bytes on one core, next to bare SHA-256 over the same bytes; and the Merkle root over \
                their leaf hashes.
                """,
            rows: [
                Measurement(
                    label: "durable writes with audit, \(writers) writers", value: withAudit, unit: "writes/s",
                    baselineLabel: "same writes without audit", baseline: withoutAudit, higherIsBetter: true),
                Measurement(
                    label: "durable writes with audit, 1 writer", value: sequentialAudited, unit: "writes/s",
                    baselineLabel: "same writes without audit", baseline: sequential, higherIsBetter: true),
                Measurement(
                    label: "chain verification", value: Double(count) / chainSeconds, unit: "entries/s",
                    baselineLabel: "SHA-256 of each entry alone", baseline: Double(count) / hashSeconds,
                    higherIsBetter: true),
                Measurement(
                    label: "Merkle root (RFC 6962)", value: Double(count) / treeSeconds, unit: "leaves/s",
                    baselineLabel: nil, baseline: nil, higherIsBetter: true),
            ],
            notes: [
                "Aim (issue 5): chain verification ≥ 1,000,000 entries/s on one core.",
                "Append costs are the median of \(rounds) rounds, with and without audit alternating.",
            ])
    }

    private func rate(_ body: () async throws -> Void) async throws -> Double {
        try await sequentialRate(budget: budget, body)
    }

    private func concurrentRate(_ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
        try await concurrentOperationsPerSecond(budget: budget, workers: writers, body)
    }
}
