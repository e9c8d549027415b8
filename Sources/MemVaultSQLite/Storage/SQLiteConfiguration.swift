/// Settings for the SQLite backend.
public struct SQLiteConfiguration: Sendable, Equatable {
    /// SQLite's `synchronous` setting for tenant databases (always in WAL mode).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Durable against process crashes; a power loss may lose the last transactions (not corrupt).
        case normal
        /// Also durable against power loss, at the price of an fsync per commit.
        case full
    }

    public var synchronous: Synchronous = .normal
    /// How long a write waits for another process holding the write lock.
    public var busyTimeoutSeconds: Double = 5
    /// Most writes that group commit puts in one transaction.
    public var maximumGroupCommit = 512
    /// Concurrent readers per tenant database.
    public var maximumReaders = 8

    public init() {}
}
