import Dispatch
package import GRDB
package import Logging
import MemVault
package import MemVaultAudit
import Metrics

/// One writer per database that batches concurrent writes into shared transactions (group commit).
///
/// - A write that finds the writer idle runs at once, on the caller's thread, in a transaction of its own: no
///   thread hop, so an uncontended write costs one transaction.
/// - Writes that arrive while it is busy wait in a queue; a drain loop takes everything queued (up to
///   `maximumBatch`) and runs it in one transaction, each write in its own savepoint, so one failing write does not
///   undo the others.
/// - A write's caller is resumed only after the transaction that holds it has committed: an acknowledged write is
///   durable. If a commit fails, every write in that batch fails and nothing of it is stored.
/// - Writes in one transaction share a `TransactionState` (the audit chain's head, read once per transaction); a
///   write whose savepoint rolls back leaves it as it found it.
package final class GroupCommitWriter: Sendable {
    private let database: any DatabaseWriter
    private let queue: DispatchQueue
    private let logger: Logger
    private let waiting: GroupCommitQueue<Job>
    /// Writes per committed transaction: how much group commit saves under load.
    private let batchSizes = Recorder(label: "memvault_group_commit_batch_size")
    /// Audit entries committed.
    private let auditAppends = Counter(label: "memvault_audit_appends")

    private struct Job: Sendable {
        let run: @Sendable (Database, TransactionState) throws -> Void
        let complete: @Sendable ((any Error)?) -> Void
    }

    package init(
        database: any DatabaseWriter, label: String, maximumBatch: Int = 512,
        logger: Logger = Logger(label: "memvault.sqlite", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.database = database
        self.queue = DispatchQueue(label: label)
        waiting = GroupCommitQueue(maximumBatch: maximumBatch)
        self.logger = logger
    }

    package func write<T: Sendable>(
        _ operation: @escaping @Sendable (Database, TransactionState) throws -> T
    ) async throws -> T {
        if let outcome = runIfIdle(operation) { return try outcome.get() }
        return try await withCheckedThrowingContinuation { continuation in
            let result = ResultSlot<T>()
            enqueue(
                Job(
                    run: { db, state in result.value = try operation(db, state) },
                    complete: { error in
                        if let error {
                            continuation.resume(throwing: error)
                        } else {
                            continuation.resume(returning: result.value!)
                        }
                    }))
        }
    }

    /// Convenience for writes that need no transaction state.
    package func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await write { db, _ in try operation(db) }
    }

    /// Runs `operation` at once on this thread if no write is running or waiting; nil otherwise.
    private func runIfIdle<T>(_ operation: (Database, TransactionState) throws -> T) -> Result<T, any Error>? {
        guard waiting.claimIfIdle() else { return nil }
        defer { handOff() }
        let transactionState = TransactionState()
        let result = Result {
            try database.writeWithoutTransaction { db in
                try Self.transaction(db) { try operation(db, transactionState) }
            }
        }
        if case .success = result {
            batchSizes.record(1)
            auditAppends.increment(by: transactionState.auditAppended)
            logger.trace("committed a group of writes", metadata: ["writes": "1"])
        }
        return result
    }

    /// After an inline write: whatever queued up meanwhile is drained on the writer's queue.
    private func handOff() {
        if waiting.handOff() { queue.async { self.drain() } }
    }

    private func enqueue(_ job: Job) {
        if waiting.enqueue(job) { queue.async { self.drain() } }
    }

    private func drain() {
        while let batch = waiting.nextBatch() {
            var failures = [(any Error)?](repeating: nil, count: batch.count)
            let transactionState = TransactionState()
            do {
                try database.writeWithoutTransaction { db in
                    try Self.transaction(db) {
                        if batch.count == 1 {
                            try batch[0].run(db, transactionState)
                        } else {
                            for (index, job) in batch.enumerated() {
                                let saved = transactionState.save()
                                do {
                                    try Self.savepoint(db) { try job.run(db, transactionState) }
                                } catch {
                                    transactionState.restore(saved)
                                    failures[index] = error
                                }
                            }
                        }
                    }
                }
                batchSizes.record(batch.count)
                auditAppends.increment(by: transactionState.auditAppended)
                logger.trace(
                    "committed a group of writes",
                    metadata: ["writes": "\(batch.count)", "failed": "\(failures.count { $0 != nil })"])
                for (job, failure) in zip(batch, failures) { job.complete(failure) }
            } catch {
                // Only SQLite's result code: an error's description may quote a statement.
                logger.error(
                    "a group of writes failed to commit; every write in it fails",
                    metadata: ["writes": "\(batch.count)", "sqlite": "\(SQLiteResult.code(of: error))"])
                for job in batch { job.complete(error) }
            }
        }
    }
}

extension GroupCommitWriter {
    /// One immediate transaction around `body`: committed if it returns, rolled back if it throws. The statements
    /// are prepared once (every write begins and commits one).
    fileprivate static func transaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        let result: T
        do {
            result = try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
        return result
    }

    /// One write of a batch, in its own savepoint: released if it returns, rolled back (alone) if it throws.
    fileprivate static func savepoint(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "SAVEPOINT write").execute()
        do {
            try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT write").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
            throw error
        }
    }
}

/// What the writes of one transaction share. Used only on the thread running that transaction.
///
/// Besides the audit chain's head, it keeps what the transaction already read of the governance state (consent
/// lookups, the hold registry), so the writes grouped into one transaction read it once. Every write to that state
/// goes through `SQLiteRecords`, which updates or drops what is kept here; a write whose savepoint rolls back
/// restores all of it as it was before that write.
package final class TransactionState: @unchecked Sendable {
    /// The audit chain's head as of the last entry appended in this transaction; nil until the first append reads
    /// the stored tail.
    package var auditHead: AuditChainHead?
    package var governance = GovernanceReads()
    /// Audit entries appended in this transaction (those of savepoints rolled back excluded).
    package var auditAppended = 0

    package init() {}

    package struct Saved {
        fileprivate let auditHead: AuditChainHead?
        fileprivate let governance: GovernanceReads
        fileprivate let auditAppended: Int
    }

    package func save() -> Saved { Saved(auditHead: auditHead, governance: governance, auditAppended: auditAppended) }

    package func restore(_ saved: Saved) {
        auditHead = saved.auditHead
        governance = saved.governance
        auditAppended = saved.auditAppended
    }
}

/// Carries one write's result from the writer queue to its caller. Written once on the writer queue before the
/// caller is resumed, and read only after, so the accesses never overlap.
private final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}
