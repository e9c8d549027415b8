import Logging
import MemVault
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The backend's own threads, each with its connection to one PostgreSQL server: units of work and reads run here,
/// waiting on the driver, so neither an event loop nor a caller's thread ever blocks on the database. As many
/// connections as threads, so a thread never waits for a connection; a connection the server closed is replaced
/// on its next use.
final class PostgresWorkers: Sendable {
    let url: PostgresURL
    private let threads: NIOThreadPool
    private let eventLoops: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let idle = Mutex<[BlockingConnection]>([])
    private let opened = Atomic<Int>(0)

    init(url: PostgresURL, threads count: Int, logger: Logger) {
        self.url = url
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: count)
        threads.start()
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Runs `body` on one of the backend's threads with a connection of its own.
    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (BlockingConnection) throws -> T) async throws -> T {
        do {
            return try await threads.runIfActive { [self] in
                let connection = try checkOut()
                defer { checkIn(connection) }
                return try body(connection)
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw MemVaultError(.unavailable, "the PostgreSQL backend is shut down")
        }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws. `schema` scopes the
    /// transaction's unqualified names; `lock` is taken first (an advisory lock held to the end of the transaction,
    /// which serialises writers of one log across every server); a read-only transaction reads one snapshot.
    func transaction<T: Sendable>(
        schema: String?, lock: Int64?, readOnly: Bool = false,
        _ body: @escaping @Sendable (BlockingConnection) throws -> T
    ) async throws -> T {
        try await run { connection in
            try Self.inTransaction(connection, schema: schema, lock: lock, readOnly: readOnly) { try body(connection) }
        }
    }

    /// `body` inside BEGIN … COMMIT on `connection`, on the calling (backend) thread.
    static func inTransaction<T>(
        _ connection: BlockingConnection, schema: String?, lock: Int64?, readOnly: Bool, _ body: () throws -> T
    ) throws -> T {
        try connection.execute(
            readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", "starting a transaction")
        do {
            // The schema and the lock in one round trip.
            switch (schema, lock) {
            case (let schema?, let lock?):
                try connection.execute(
                    "SELECT set_config('search_path', \(SQLName.quoted(schema)), true), pg_advisory_xact_lock(\(lock))",
                    "choosing the tenant's schema and waiting for its log's lock")
            case (let schema?, nil):
                try connection.execute(
                    "SELECT set_config('search_path', \(SQLName.quoted(schema)), true)", "choosing the tenant's schema")
            case (nil, let lock?):
                try connection.execute("SELECT pg_advisory_xact_lock(\(lock))", "waiting for the log's lock")
            case (nil, nil):
                break
            }
            let result = try body()
            try connection.execute("COMMIT", "committing")
            return result
        } catch {
            _ = try? connection.execute("ROLLBACK", "rolling back")
            throw error
        }
    }

    /// `body` with one of this pool's connections on the calling thread, which must be allowed to block (another
    /// pool's thread, never an event loop): for work that holds two servers at once (a tenant's move).
    func withConnection<T>(_ body: (BlockingConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    private func checkOut() throws -> BlockingConnection {
        if let connection = idle.withLock({ $0.popLast() }), !connection.isClosed { return connection }
        let id = opened.wrappingAdd(1, ordering: .relaxed).newValue
        return try BlockingConnection.open(url, on: eventLoops, id: id, logger: logger)
    }

    private func checkIn(_ connection: BlockingConnection) {
        guard !connection.isClosed else { return }
        idle.withLock { $0.append(connection) }
    }

    /// Closes every connection and stops the threads; later calls fail as `unavailable`.
    func shutdown() async {
        try? await threads.shutdownGracefully()
        for connection in idle.withLock({ idle in
            defer { idle.removeAll() }; return idle
        }) { connection.close() }
        try? await eventLoops.shutdownGracefully()
    }
}

/// Identifiers in SQL text: only names MemVault makes (schema names from tenant ids, table names), double-quoted.
enum SQLName {
    static func quoted(_ name: String) -> String {
        precondition(name.utf8.allSatisfy { $0 != UInt8(ascii: "\"") && $0 != 0 }, "an unsafe SQL name")
        return "\"\(name)\""
    }
}
