import Logging
import MemVault
import NIOCore
import PostgresNIO

/// One connection to PostgreSQL, used synchronously: the storage protocols run units of work as synchronous
/// closures, so the backend's own threads (never an event loop, never the caller's) wait on the driver's futures.
/// The only type here that talks to the driver; one thread uses a connection at a time.
final class BlockingConnection: Sendable {
    private let connection: PostgresConnection
    private let logger: Logger

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    static func open(
        _ url: PostgresURL, on group: any EventLoopGroup, id: Int, logger: Logger
    ) throws -> BlockingConnection {
        do {
            let connection = try PostgresConnection.connect(
                on: group.next(), configuration: try url.configuration(), id: id, logger: logger
            ).wait()
            let opened = BlockingConnection(connection: connection, logger: logger)
            // Units of work are short statements; JIT compilation (hundreds of milliseconds, measured) never pays.
            try opened.execute("SET jit = off", "setting up the connection")
            return opened
        } catch let error as MemVaultError {
            throw error
        } catch {
            throw MemVaultError(
                .unavailable, "cannot connect to PostgreSQL at \(url): \(PostgresErrors.describe(error))")
        }
    }

    /// The rows `query` returns. `what` names the step for error messages, which never carry values.
    @discardableResult
    func rows(_ query: PostgresQuery, _ what: String) throws -> [PostgresRow] {
        try result(query, what).rows
    }

    /// Runs `query`; returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery, _ what: String) throws -> Int {
        try result(query, what).metadata.rows ?? 0
    }

    private func result(_ query: PostgresQuery, _ what: String) throws -> PostgresQueryResult {
        precondition(!connection.eventLoop.inEventLoop, "a blocking PostgreSQL call on an event loop")
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            throw PostgresErrors.map(error, what)
        }
    }

    var isClosed: Bool { connection.isClosed }

    func close() {
        try? connection.close().wait()
    }

    /// A connection dropped unclosed (its owner was never closed, e.g. after an error) is closed here, where
    /// waiting is allowed; on an event loop the driver closes it with its channel.
    deinit {
        if !connection.isClosed, !connection.eventLoop.inEventLoop { try? connection.close().wait() }
    }
}
