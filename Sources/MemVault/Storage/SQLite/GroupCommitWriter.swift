import Dispatch
package import GRDB
import Synchronization

/// One writer per tenant database that batches concurrent writes into shared transactions (group commit).
///
/// Each write waits in a queue; a single drain loop takes everything queued (up to `maximumBatch`) and runs it in
/// one transaction, each write in its own savepoint, so one failing write does not undo the others. A write's
/// caller is resumed only after the shared transaction has committed: an acknowledged write is durable. If the
/// commit fails, every write in the batch fails and nothing of the batch is stored.
package final class GroupCommitWriter: Sendable {
    private let database: any DatabaseWriter
    private let queue: DispatchQueue
    private let maximumBatch: Int
    private let state = Mutex(State())

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let complete: @Sendable ((any Error)?) -> Void
    }

    package init(database: any DatabaseWriter, label: String, maximumBatch: Int = 512) {
        self.database = database
        self.queue = DispatchQueue(label: label)
        self.maximumBatch = maximumBatch
    }

    package func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let result = ResultSlot<T>()
            enqueue(
                Job(
                    run: { db in result.value = try operation(db) },
                    complete: { error in
                        if let error {
                            continuation.resume(throwing: error)
                        } else {
                            continuation.resume(returning: result.value!)
                        }
                    }))
        }
    }

    private func enqueue(_ job: Job) {
        let startDrain = state.withLock { state in
            state.pending.append(job)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
    }

    private func nextBatch() -> [Job]? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.draining = false
                return nil
            }
            let batch = Array(state.pending.prefix(maximumBatch))
            state.pending.removeFirst(batch.count)
            return batch
        }
    }

    private func drain() {
        while let batch = nextBatch() {
            var failures = [(any Error)?](repeating: nil, count: batch.count)
            do {
                try database.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        if batch.count == 1 {
                            try batch[0].run(db)
                        } else {
                            for (index, job) in batch.enumerated() {
                                do {
                                    try db.inSavepoint {
                                        try job.run(db)
                                        return .commit
                                    }
                                } catch {
                                    failures[index] = error
                                }
                            }
                        }
                        return .commit
                    }
                }
                for (job, failure) in zip(batch, failures) { job.complete(failure) }
            } catch {
                for job in batch { job.complete(error) }
            }
        }
    }
}

/// Carries one write's result from the writer queue to its caller. Written once on the writer queue before the
/// caller is resumed, and read only after, so the accesses never overlap.
private final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}
