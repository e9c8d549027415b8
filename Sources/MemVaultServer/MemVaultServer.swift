public import Hummingbird
public import Logging
public import MemVault
import NIOCore
import OpenAPIHummingbird

/// The HTTP front door: the generated routes over a store, on the given host and port.
public struct MemVaultServer: Sendable {
    public let store: MemoryStore
    public let host: String
    public let port: Int
    public let logger: Logger

    public init(store: MemoryStore, host: String = "127.0.0.1", port: Int = 8080, logger: Logger) {
        self.store = store
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully (requests in flight finish).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onListening: onListening).runService()
    }

    /// The application, ready to run. `onListening` hears the port it listens on (the one given, or the one the
    /// system chose for port 0).
    public func application(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.middlewares.add(BearerTokenMiddleware())
        try API(store: store).registerHandlers(on: router, middlewares: [RequestProblemMiddleware()])
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "MemVault"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
