import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultPostgres
import MemVaultPostgresTestSupport
import MemVaultSQLite
import MemVaultServer
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The backend a server test's store runs on: each server test runs on both, over the same HTTP API.
enum ServerBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite = "SQLite"
    /// A fresh database on the test server (`TestPostgresServer`).
    case postgres = "PostgreSQL"

    var testDescription: String { rawValue }
}

/// A store on `backend` (SQLite in a temporary folder, or a fresh PostgreSQL database) served on a loopback port the
/// system chose, for the duration of `body`.
func withServer(
    on backend: ServerBackend, configuration: MemVaultServer.Configuration = .init(port: 0),
    embedder: (any Embedder)? = nil, auditCheckpointInterval: UInt64 = 1_000,
    now: @escaping @Sendable () -> Date = { Date() },
    _ body: (MemoryStore, URL) async throws -> Void
) async throws {
    // Metrics are bootstrapped before the store opens, as `memvault serve` does, so its counters report.
    let metrics = MetricsExposition.process
    let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-server-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let masterKey = MasterKeySource.keyFile(path: folder.appending(path: "master.key").path)
    let policies = PolicyRegistry(
        folder: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies"))
    let store: MemoryStore
    let closeInstallation: () throws -> Void
    switch backend {
    case .sqlite:
        let installation = try Installation.initialise(at: folder.appending(path: "data").path, masterKey: masterKey)
        store = try await MemoryStore.open(
            installation, policies: policies, auditCheckpointInterval: auditCheckpointInterval, now: now)
        closeInstallation = { try installation.close() }
    case .postgres:
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let installation = try PostgresInstallation.initialise(
            url: try await TestPostgresServer.freshDatabase(), masterKey: masterKey)
        store = try await MemoryStore.open(
            installation, policies: policies, threads: 4, auditCheckpointInterval: auditCheckpointInterval, now: now)
        closeInstallation = { installation.close() }
    }
    let logger = Logger(label: "memvault-server-test", factory: { _ in SwiftLogNoOpLogHandler() })
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var configuration = configuration
    configuration.port = 0
    let server = MemVaultServer(
        store: store, configuration: configuration, embedder: embedder, metrics: metrics, logger: logger)
    let app = try server.application { port in
        continuation.yield(port)
    }
    let group = ServiceGroup(services: [app], logger: logger)
    try await withThrowingTaskGroup { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw MemVaultError(.storage, "the server did not start") }
        try await body(store, URL(string: "http://127.0.0.1:\(port)")!)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
    try await store.close()
    try closeInstallation()
}

/// One request over real HTTP; returns the status, content type and body (a JSON object, else empty).
func request(
    _ url: URL, method: String = "GET", token: String? = nil, purpose: String? = nil, json: Any? = nil,
    raw: Data? = nil
) async throws -> (status: Int, type: String, body: [String: Any]) {
    let answer = try await exchange(url, method: method, token: token, purpose: purpose, json: json, raw: raw)
    let body = (try? JSONSerialization.jsonObject(with: answer.data) as? [String: Any]) ?? [:]
    return (answer.response.statusCode, answer.response.value(forHTTPHeaderField: "Content-Type") ?? "", body)
}

/// One request over real HTTP; returns the response and its bytes.
func exchange(
    _ url: URL, method: String = "GET", token: String? = nil, purpose: String? = nil, json: Any? = nil,
    raw: Data? = nil
) async throws -> (response: HTTPURLResponse, data: Data) {
    var request = URLRequest(url: url)
    request.httpMethod = method
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    if let purpose { request.setValue(purpose, forHTTPHeaderField: "MemVault-Purpose") }
    if let bytes = json as? Data {
        // Binary bodies (bundles) go as they are.
        request.httpBody = bytes
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
    } else if let body = try raw ?? json.map({ try JSONSerialization.data(withJSONObject: $0) }) {
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    return (try #require(response as? HTTPURLResponse), data)
}
