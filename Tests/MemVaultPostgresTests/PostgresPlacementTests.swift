import Foundation
import Logging
import MemVault
import MemVaultAudit
import MemVaultPolicy
import MemVaultPostgresTestSupport
import PostgresNIO
import Synchronization
import Testing

@testable import MemVaultPostgres

/// Tenants placed across PostgreSQL servers, and moved between them while other MemVault servers write. Two
/// databases of the test cluster stand in for two PostgreSQL servers: the backend reaches each only through its
/// own URL, connections and locks, exactly as it would two machines.
@Suite("PostgreSQL: tenant placement and moves")
struct PostgresPlacementTests {
    static let policies = PolicyRegistry(
        folder: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies"))
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)
    static let application = AccessContext(actor: "test-app", role: .application, purpose: "service-delivery")

    /// A deployment: the primary database with the installation, a second server, and a master key file.
    struct Deployment {
        let primary: PostgresURL
        let second: PostgresURL
        let keyFile: String

        static func make() async throws -> Deployment {
            let primary = try await TestPostgresServer.freshDatabase()
            let keyFile = FileManager.default.temporaryDirectory.appending(path: "memvault-placement-\(UUID()).key")
                .path
            let installation = try PostgresInstallation.initialise(url: primary, masterKey: .keyFile(path: keyFile))
            installation.close()
            return Deployment(primary: primary, second: try await TestPostgresServer.freshDatabase(), keyFile: keyFile)
        }

        /// A MemVault server's store over the deployment; `withSecond: false` leaves the second server out.
        func server(withSecond: Bool = true) async throws -> (MemoryStore, PostgresInstallation) {
            let installation = try PostgresInstallation.open(url: primary, masterKey: .keyFile(path: keyFile))
            let servers = try PostgresServers(primary: primary, others: withSecond ? ["b": second] : [:])
            let store = try await MemoryStore.open(
                installation, servers: servers, policies: PostgresPlacementTests.policies, threads: 4)
            return (store, installation)
        }

        /// Whether the second server still has the tenant's schema.
        func secondHasSchema(_ tenant: TenantID) async throws -> Bool {
            let schema = PostgresTenantSchema.schema(for: tenant)
            return try await PostgresPlacementTests.sql(on: second) { connection in
                !(try connection.rows(
                    "SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", "looking for the schema"
                ).isEmpty)
            }
        }

        func removeKeyFile() { try? FileManager.default.removeItem(atPath: keyFile) }
    }

    /// `body` on a connection of its own to `url`, as an operator's SQL session.
    @discardableResult
    static func sql<T: Sendable>(
        on url: PostgresURL, _ body: @escaping @Sendable (BlockingConnection) throws -> T
    ) async throws -> T {
        let workers = PostgresWorkers(url: url, threads: 1, logger: Logger(label: "test"))
        do {
            let result = try await workers.run(body)
            await workers.shutdown()
            return result
        } catch {
            await workers.shutdown()
            throw error
        }
    }

    @Test("new tenants go to the server holding the fewest; a server not given that one refuses its tenants clearly")
    func leastLoaded() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.removeKeyFile() }
        let (store, installation) = try await deployment.server()
        let tenants = try ["t1", "t2", "t3", "t4", "t5"].map(TenantID.init)
        for tenant in tenants { try await store.createTenant(tenant, policy: "default", as: Self.administrator) }
        let placement = try #require(store.placement)
        var placed: [String] = []
        for tenant in tenants { placed.append(try await placement.server(of: tenant)) }
        // Ties go to the name first in order ("b" before "primary").
        #expect(placed == ["b", "primary", "b", "primary", "b"])
        #expect(
            try await store.servers(as: Self.administrator) == [
                ServerLoad(name: "b", tenants: 3), ServerLoad(name: "primary", tenants: 2),
            ])
        // Each tenant works where it was placed.
        for tenant in tenants {
            let app = try await store.tenant(tenant, as: Self.application)
            let cube = try await app.createCube(NewCube(owner: .tenant, name: "notes"))
            _ = try await app.addMemory(
                NewMemory(content: .text("a note for \(tenant)"), category: "conversation"), to: cube.id)
        }
        try await store.close()
        installation.close()

        let (partial, partialInstallation) = try await deployment.server(withSecond: false)
        let refused = await #expect(throws: MemVaultError.self) {
            _ = try await partial.tenant(tenants[0], as: Self.application)
        }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("--postgres-server b=URL") == true, "\(String(describing: refused))")
        #expect(try await partial.tenant(tenants[1], as: Self.application).tenant == tenants[1])
        try await partial.close()
        partialInstallation.close()
    }

    /// What the writers and the move report while they run.
    final class Observed: Sendable {
        let retries = Atomic<Int>(0)
        let progress = Mutex<[TenantMoveProgress]>([])
    }

    @Test("a tenant moves while another server writes to it: every acknowledged write kept once, the log verifies")
    func moveUnderLoad() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.removeKeyFile() }
        let (mover, moverInstallation) = try await deployment.server()
        let (writer, writerInstallation) = try await deployment.server()
        let acme = try TenantID("acme")
        try await mover.createTenant(acme, policy: "default", as: Self.administrator)
        let placement = try #require(mover.placement)
        #expect(try await placement.server(of: acme) == "b")

        let app = try await writer.tenant(acme, as: Self.application)
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "log"))
        var acknowledged = Set(
            try await app.addMemories(
                (0..<300).map { NewMemory(content: .text("before the move \($0)"), category: "conversation") },
                to: cube.id
            ).map(\.id))

        // Writers on the other server keep adding while the tenant moves; a write refused as unavailable (the
        // tenant moved under it) is retried, as a client would.
        let observed = Observed()
        let (written, moved) = try await withThrowingTaskGroup(of: [MemoryID].self) { group in
            for writerIndex in 0..<4 {
                group.addTask {
                    var ids: [MemoryID] = []
                    for index in 0..<40 {
                        while true {
                            do {
                                ids.append(
                                    try await app.addMemory(
                                        NewMemory(
                                            content: .text("during the move \(writerIndex)-\(index)"),
                                            category: "conversation"),
                                        to: cube.id
                                    ).id)
                                break
                            } catch let error as MemVaultError where error.code == .unavailable {
                                observed.retries.add(1, ordering: .relaxed)
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                    return ids
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            let moved = try await mover.moveTenant(acme, to: "primary", as: Self.administrator) { step in
                observed.progress.withLock { $0.append(step) }
            }
            var written: [MemoryID] = []
            for try await ids in group { written += ids }
            return (written, moved)
        }
        #expect(written.count == 160)
        acknowledged.formUnion(written)
        #expect(acknowledged.count == 460, "no id acknowledged twice")

        #expect(moved.report.from == "b" && moved.report.to == "primary")
        #expect(moved.report.rows > 460 && moved.report.auditEntries > 1)
        #expect(moved.report.pauseMilliseconds > 0 && moved.report.pauseMilliseconds <= moved.report.totalMilliseconds)
        let steps = observed.progress.withLock { $0 }
        #expect(steps.count == moved.report.tables && steps.last?.tablesDone == moved.report.tables)
        #expect(try await placement.server(of: acme) == "primary")
        #expect(try await deployment.secondHasSchema(acme) == false, "the old copy is removed")

        // Both servers see exactly the acknowledged memories, once each, and a chain that verifies.
        for store in [mover, writer] {
            let reader = try await store.tenant(acme, as: Self.application)
            var stored: [MemoryID] = []
            var cursor: String?
            repeat {
                let page = try await reader.memories(in: .cube(cube.id), after: cursor, limit: 100)
                stored += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(stored.count == Set(stored).count)
            #expect(Set(stored) == acknowledged)
            let verification = try await store.tenant(acme, as: Self.administrator).verifyAudit()
            #expect(verification.isValid, "\(verification.problemSummary ?? "")")
        }
        let entries = try await mover.tenant(acme, as: Self.administrator).auditLog()
        #expect(entries.map(\.sequence) == Array(1...UInt64(entries.count)), "gapless")
        #expect(entries.contains { $0.detail == "tenant acme: moved from b to primary" })
        let installationLog = try await mover.installationAudit(as: Self.administrator).entries()
        #expect(
            installationLog.contains { $0.detail == "tenant acme: moved from b to primary, \(moved.report.rows) rows" })

        // Moving it back works the same way; moving it to where it is is refused.
        let back = try await writer.moveTenant(acme, to: "b", as: Self.administrator)
        #expect(back.report.from == "primary" && back.report.to == "b")
        let content = try await app.memory(written[0]).content
        guard case .text(let text) = content else { throw MemVaultError(.storage, "a text memory read back as binary") }
        #expect(text.hasPrefix("during the move "))
        let again = await #expect(throws: MemVaultError.self) {
            _ = try await writer.moveTenant(acme, to: "b", as: Self.administrator)
        }
        #expect(again?.code == .conflict)
        let unknown = await #expect(throws: MemVaultError.self) {
            _ = try await writer.moveTenant(acme, to: "c", as: Self.administrator)
        }
        #expect(unknown?.code == .invalidArgument)
        let recorded = try await writer.installationAudit(as: Self.administrator).entries()
        #expect(!recorded.contains { $0.detail?.contains("move to c") == true }, "bad input records nothing")
        print("tenant move: \(moved.report); retried writes: \(observed.retries.load(ordering: .relaxed))")

        try await mover.close()
        try await writer.close()
        moverInstallation.close()
        writerInstallation.close()
    }

    @Test("a move interrupted before its switch starts over; the old copy a switched move left is removed")
    func interruptedMoves() async throws {
        let deployment = try await Deployment.make()
        defer { deployment.removeKeyFile() }
        let (store, installation) = try await deployment.server()
        let acme = try TenantID("acme")
        try await store.createTenant(acme, policy: "default", as: Self.administrator)
        let app = try await store.tenant(acme, as: Self.application)
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "notes"))
        let memory = try await app.addMemory(NewMemory(content: .text("kept"), category: "conversation"), to: cube.id)
        let schema = PostgresTenantSchema.schema(for: acme)

        // Interrupted after copying part of the tenant to primary: a half-made schema there, the catalog still on b.
        try await Self.sql(on: deployment.primary) { connection in
            try connection.execute(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA \(SQLName.quoted(schema))"), "test: a half-made copy")
            try connection.execute(
                PostgresQuery(unsafeSQL: "CREATE TABLE \(SQLName.quoted(schema)).memories (junk TEXT)"), "test")
            try connection.execute(
                "UPDATE memvault_catalog.placements SET moving_to = 'primary' WHERE tenant_id = 'acme'", "test")
        }
        let placement = try #require(store.placement)
        #expect(try await placement.server(of: acme) == "b")
        #expect(try await app.memory(memory.id).content == .text("kept"), "reads still go to b")
        let moved = try await store.moveTenant(acme, to: "primary", as: Self.administrator)
        #expect(moved.report.to == "primary")
        #expect(try await app.memory(memory.id).content == .text("kept"))

        // Switched, but its old copy on b not removed: the next move removes it, and moves nothing else.
        try await Self.sql(on: deployment.second) { connection in
            try connection.execute(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA \(SQLName.quoted(schema))"), "test: an old copy")
        }
        try await Self.sql(on: deployment.primary) { connection in
            try connection.execute(
                "UPDATE memvault_catalog.placements SET left_behind = 'b' WHERE tenant_id = 'acme'", "test")
        }
        #expect(try await deployment.secondHasSchema(acme))
        let finished = try await store.moveTenant(acme, to: "primary", as: Self.administrator)
        #expect(finished.report.rows == 0 && finished.report.from == "b")
        #expect(try await deployment.secondHasSchema(acme) == false)
        #expect(try await store.tenant(acme, as: Self.administrator).verifyAudit().isValid)
        try await store.close()
        installation.close()
    }
}
