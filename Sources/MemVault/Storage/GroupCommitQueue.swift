import Synchronization

/// The waiting room of a group-commit writer, the same for every backend: writes that arrive while the writer is
/// busy queue here, and whoever drains takes them in batches of at most `maximumBatch`, in arrival order. At most
/// one party drains at a time; it keeps the writer until the queue is empty.
package final class GroupCommitQueue<Job: Sendable>: Sendable {
    private let maximumBatch: Int
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var pending: [Job] = []
        var draining = false
    }

    package init(maximumBatch: Int) {
        precondition(maximumBatch > 0)
        self.maximumBatch = maximumBatch
    }

    /// Takes the writer if nothing runs or waits: the caller then writes at once and calls `handOff()` after.
    package func claimIfIdle() -> Bool {
        state.withLock { state in
            guard !state.draining, state.pending.isEmpty else { return false }
            state.draining = true
            return true
        }
    }

    /// Queues `job`; true if the caller must start draining (nobody else is).
    package func enqueue(_ job: Job) -> Bool {
        state.withLock { state in
            state.pending.append(job)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
    }

    /// After a write made under `claimIfIdle()`: true if writes queued meanwhile, which the caller must drain; else
    /// the writer is free again.
    package func handOff() -> Bool {
        state.withLock { state in
            if state.pending.isEmpty { state.draining = false }
            return !state.pending.isEmpty
        }
    }

    /// The next batch for the drainer, oldest first; nil when the queue is empty, which frees the writer.
    package func nextBatch() -> [Job]? {
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
}
