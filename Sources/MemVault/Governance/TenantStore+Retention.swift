import Foundation
import MemVaultPolicy

/// What a retention sweep purged (or, in a dry run, would purge), per category.
public struct RetentionSweep: Sendable, Equatable, Codable {
    public struct Category: Sendable, Equatable, Codable {
        public let category: String
        /// How long its memories are kept: the policy's retention, or a longer erasure exception's.
        public let keptFor: String
        /// Memories past it, deleted (or counted, in a dry run).
        public var purged = 0
        /// Memories past it kept because a legal hold covers them.
        public var held = 0
    }

    public let dryRun: Bool
    public var categories: [Category] = []

    public var purged: Int { categories.reduce(0) { $0 + $1.purged } }
    public var held: Int { categories.reduce(0) { $0 + $1.held } }
}

/// Retention: memories past their category's retention are purged, deleted as any deletion is (every version,
/// index entry and embedding, and no residue in the files), not hidden. A legal hold keeps them; a category whose
/// erasure exception (Art. 17(3)) requires keeping it longer is kept that long.
extension TenantStore {
    /// Walks each category with a retention, oldest memory first, in batches of `batch`, each one recorded unit of
    /// work listing the ids it purged; stops in a category at its first memory still within retention. Every memory
    /// is verified before it is purged: one whose creation time or category was edited in the files fails its
    /// binding and stops the sweep (`integrity_failure`), never obeyed. `progress` hears after every batch.
    public func sweepRetention(
        dryRun: Bool = false, batch: Int = 500, progress: (RetentionSweep.Category) -> Void = { _ in }
    ) async throws -> RetentionSweep {
        try limits.check(pageSize: batch)
        let policy = try engine().policy
        var sweep = RetentionSweep(dryRun: dryRun)
        for (name, category) in policy.categories.sorted(by: { $0.key < $1.key }) {
            guard let retention = category.retention else { continue }
            let kept =
                category.erasureException.map { $0.keepFor.isLonger(than: retention) ? $0.keepFor : retention }
                ?? retention
            var tally = RetentionSweep.Category(category: name, keptFor: kept.description)
            var after: MemoryID?
            repeat {
                let cursor = after
                let outcome = try await perform(.sweepRetention) {
                    [self] work -> (purged: Int, held: Int, next: MemoryID?) in
                    let records = try work.transaction.memories(inCategory: name, after: cursor, limit: batch)
                    var purged: [MemoryID] = []
                    var held = 0
                    var last: MemoryID?
                    var reachedRetained = records.count < batch
                    for record in records {
                        guard kept.hasElapsed(since: record.fields.createdAt.date, at: work.now) else {
                            reachedRetained = true
                            break
                        }
                        last = record.id
                        try verifyPayload(record, current: true, in: work.transaction)
                        guard try !work.governance(for: record).held else {
                            held += 1
                            continue
                        }
                        purged.append(record.id)
                    }
                    if !dryRun, try work.transaction.deleteMemories(purged) != purged.count {
                        throw MemVaultError(.conflict, "memories changed while the retention sweep purged them")
                    }
                    work.memories = purged
                    work.returned = UInt64(purged.count)
                    work.withheld = UInt64(held)
                    work.detail = "retention \(dryRun ? "dry run" : "purge"): \(name)"
                    return (purged.count, held, reachedRetained ? nil : last)
                }
                tally.purged += outcome.purged
                tally.held += outcome.held
                after = outcome.next
                progress(tally)
            } while after != nil
            sweep.categories.append(tally)
        }
        if !dryRun, sweep.purged > 0 { try await storage.purgeDeleted() }
        return sweep
    }
}
