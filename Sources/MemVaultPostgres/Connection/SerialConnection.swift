import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One connection for the storage protocols' few synchronous calls (the key store, whether a tenant has storage):
/// opened on first use, reopened if the server closed it, used by one caller at a time. These calls are short and
/// rare, so they wait on the driver on the caller's thread.
final class SerialConnection: Sendable {
    private let url: PostgresURL
    private let logger: Logger
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let connection = Mutex<BlockingConnection?>(nil)

    init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    func run<T>(_ body: (BlockingConnection) throws -> T) throws -> T {
        try connection.withLock { connection in
            let open: BlockingConnection
            if let existing = connection, !existing.isClosed {
                open = existing
            } else {
                open = try BlockingConnection.open(url, on: eventLoops, id: 0, logger: logger)
                connection = open
            }
            return try body(open)
        }
    }

    func close() {
        connection.withLock { connection in
            connection?.close()
            connection = nil
        }
        try? eventLoops.syncShutdownGracefully()
    }
}
