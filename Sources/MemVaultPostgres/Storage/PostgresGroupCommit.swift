import Logging
import MemVault
import MemVaultAudit
import Metrics
import PostgresNIO
import Synchronization

/// One writer per log (a tenant's, or the catalog's) in this process, batching concurrent units of work into shared
/// transactions, as the SQLite backend does: each unit in its own savepoint, so one that throws changes nothing and
/// the others still commit; a caller resumes only after its transaction committed. Each transaction first takes the
/// log's advisory lock, so the writers of every server sharing the database take turns: the audit chain's tail is
/// read under the lock and every server chains onto the same head.
final class PostgresGroupCommit: Sendable {
    private let workers: PostgresWorkers
    private let schema: String
    private let lock: Int64
    private let logger: Logger
    private let waiting: GroupCommitQueue<Job>
    private let batchSizes = Recorder(label: "memvault_group_commit_batch_size")

    private struct Job: Sendable {
        let run: @Sendable (BlockingConnection, PostgresTransactionState) throws -> Void
        let complete: @Sendable ((any Error)?) -> Void
    }

    init(workers: PostgresWorkers, schema: String, maximumBatch: Int = 256, logger: Logger) {
        self.workers = workers
        self.schema = schema
        lock = AdvisoryLock.key("log:\(schema)")
        waiting = GroupCommitQueue(maximumBatch: maximumBatch)
        self.logger = logger
    }

    func write<T: Sendable>(
        _ operation: @escaping @Sendable (BlockingConnection, PostgresTransactionState) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let result = Mutex<T?>(nil)
            enqueue(
                Job(
                    run: { connection, state in
                        let value = try operation(connection, state)
                        result.withLock { $0 = value }
                    },
                    complete: { error in
                        if let error {
                            continuation.resume(throwing: error)
                        } else {
                            continuation.resume(returning: result.withLock { $0! })
                        }
                    }))
        }
    }

    private func enqueue(_ job: Job) {
        if waiting.enqueue(job) { Task { await drain() } }
    }

    private func drain() async {
        while let batch = waiting.nextBatch() {
            let outcomes: [(any Error)?]
            do {
                outcomes = try await workers.transaction(schema: schema, lock: lock) { connection in
                    let transaction = PostgresTransactionState()
                    // A write alone needs no savepoint: if it throws, its transaction rolls back.
                    if batch.count == 1 {
                        do {
                            try batch[0].run(connection, transaction)
                        } catch {
                            throw UnitRefused(error: error)
                        }
                        return [nil]
                    }
                    return batch.map { job in
                        Self.inSavepoint(connection, transaction) { try job.run(connection, transaction) }
                    }
                }
                batchSizes.record(batch.count)
            } catch let refused as UnitRefused {
                outcomes = [refused.error]
            } catch {
                // The commit failed: nothing of the batch is stored.
                outcomes = Array(repeating: error, count: batch.count)
                logger.warning(
                    "a group of writes failed to commit",
                    metadata: ["schema": "\(schema)", "writes": "\(batch.count)", "error": "\(error)"])
            }
            for (job, outcome) in zip(batch, outcomes) { job.complete(outcome) }
        }
    }

    /// A lone write's own error, carried out of its transaction (which it rolled back), told apart from a failed
    /// commit.
    private struct UnitRefused: Error {
        let error: any Error
    }

    /// Runs `body` in a savepoint: released if it returns, rolled back (with the transaction's state) if it throws.
    private static func inSavepoint(
        _ connection: BlockingConnection, _ transaction: PostgresTransactionState, _ body: () throws -> Void
    ) -> (any Error)? {
        let saved = transaction.save()
        do {
            try connection.execute("SAVEPOINT unit", "starting a unit of work")
            try body()
            try connection.execute("RELEASE SAVEPOINT unit", "finishing a unit of work")
            return nil
        } catch {
            transaction.restore(saved)
            do {
                try connection.execute("ROLLBACK TO SAVEPOINT unit", "undoing a unit of work")
                try connection.execute("RELEASE SAVEPOINT unit", "undoing a unit of work")
            } catch {
                // The transaction itself is broken: the commit will fail and report it for every unit.
            }
            return error
        }
    }
}

/// What the units of one transaction share: the audit chain's head as of the last entry appended in it (read
/// once, under the log's lock). Used only on the thread running the transaction.
final class PostgresTransactionState: @unchecked Sendable {
    var auditHead: AuditChainHead?
    var auditAppended = 0

    struct Saved {
        fileprivate let auditHead: AuditChainHead?
        fileprivate let auditAppended: Int
    }

    func save() -> Saved { Saved(auditHead: auditHead, auditAppended: auditAppended) }

    func restore(_ saved: Saved) {
        auditHead = saved.auditHead
        auditAppended = saved.auditAppended
    }
}
