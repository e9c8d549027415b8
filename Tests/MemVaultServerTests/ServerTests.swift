import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultServer
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A store in a temporary folder served on a loopback port the system chose, for the duration of `body`.
func withServer(_ body: (MemoryStore, URL) async throws -> Void) async throws {
    let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-server-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let installation = try Installation.initialise(
        at: folder.appending(path: "data").path, masterKey: .keyFile(path: folder.appending(path: "master.key").path))
    let policies = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Policies")
    let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies))
    let logger = Logger(label: "memvault-server-test", factory: { _ in SwiftLogNoOpLogHandler() })
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try MemVaultServer(store: store, port: 0, logger: logger).application { port in
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
    try installation.close()
}

/// One request over real HTTP; returns the status, content type and body.
func request(_ url: URL, token: String? = nil) async throws -> (status: Int, type: String, body: [String: Any]) {
    var request = URLRequest(url: url)
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = try #require(response as? HTTPURLResponse)
    let body = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type") ?? "", body)
}

@Suite("HTTP server")
struct ServerTests {
    @Test("health needs no credential; whoami answers for a valid token, and one problem for any other")
    func authentication() async throws {
        try await withServer { store, base in
            let health = try await request(base.appending(path: "health"))
            #expect(health.status == 200 && health.body["status"] as? String == "ok")

            let administrator = AccessContext(actor: "test-admin", role: .administrator)
            try await store.createTenant(TenantID("acme"), policy: "default", as: administrator)
            let issued = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application, purposes: ["personalisation"]),
                as: administrator)
            let whoami = base.appending(path: "v1/whoami")
            let me = try await request(whoami, token: issued.token)
            #expect(me.status == 200, "\(me.body)")
            #expect(me.body["id"] as? String == issued.credential.id && me.body["tenant"] as? String == "acme")
            #expect(
                me.body["role"] as? String == "application" && me.body["purposes"] as? [String] == ["personalisation"])

            for token in [nil, "mvk_nonsense", issued.token + "x"] {
                let refused = try await request(whoami, token: token)
                #expect(refused.status == 401 && refused.type.hasPrefix("application/problem+json"))
                #expect(refused.body["code"] as? String == "unauthenticated")
            }
            _ = try await store.revokeCredential(issued.credential.id, as: administrator)
            #expect(try await request(whoami, token: issued.token).status == 401)
        }
    }
}
