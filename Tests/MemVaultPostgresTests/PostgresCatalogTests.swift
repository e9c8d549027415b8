import Logging
import MemVault
import MemVaultAudit
import MemVaultPostgresTestSupport
import PostgresNIO
import Testing

@testable import MemVaultPostgres

/// The catalog on PostgreSQL, written by several servers at once: their writers take turns under the log's lock,
/// so the installation audit log stays one gapless, verifying chain, and every unit is stored once.
@Suite("PostgreSQL catalog")
struct PostgresCatalogTests {
    static func catalog(_ database: PostgresURL) async throws -> (PostgresWorkers, PostgresCatalogStorage) {
        let workers = PostgresWorkers(url: database, threads: 4, logger: Logger(label: "test"))
        try await workers.run {
            try PostgresMigrator.migrate(
                $0, schema: PostgresCatalogSchema.schema, migrations: PostgresCatalogSchema.migrations)
        }
        return (workers, PostgresCatalogStorage(workers: workers, logger: Logger(label: "test")))
    }

    @Test("three servers appending at once make one gapless chain; a failing unit leaves the others")
    func threeServers() async throws {
        let database = try await TestPostgresServer.freshDatabase()
        var servers: [(PostgresWorkers, PostgresCatalogStorage)] = []
        for _ in 0..<3 { servers.append(try await Self.catalog(database)) }
        let perServer = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<(3 * perServer) {
                let catalog = servers[index % 3].1
                group.addTask {
                    do {
                        try await catalog.unitOfWork { transaction in
                            try transaction.appendAudit(
                                AuditEntry(
                                    sequence: 0, time: 1_700_000_000_000 + Int64(index), actor: "test",
                                    role: "administrator", action: .audit, purpose: "", effect: .permit,
                                    detail: "\(index)"))
                            // Every seventh unit fails after appending: its entry must not be kept.
                            if index % 7 == 0 { throw MemVaultError(.conflict, "refused on purpose") }
                        }
                    } catch let error as MemVaultError where error.code == .conflict {}
                }
            }
            try await group.waitForAll()
        }
        let entries = try await servers[0].1.read { try $0.auditEntries(after: 0, limit: 1_000) }
        let kept = (0..<(3 * perServer)).filter { $0 % 7 != 0 }
        #expect(entries.map(\.sequence) == Array(1...UInt64(kept.count)))
        #expect(try AuditChain.verify(entries, origin: AuditOrigins.installation) == nil)
        let details = try entries.map { try AuditEncoding.decode($0.encoded).detail ?? "" }
        #expect(details.sorted() == kept.map(String.init).sorted())
        for (workers, _) in servers { await workers.shutdown() }
    }

    @Test("a schema with a migration this build does not know is refused, not used")
    func newerSchema() async throws {
        let database = try await TestPostgresServer.freshDatabase()
        let (workers, _) = try await Self.catalog(database)
        _ = try await workers.run {
            try $0.execute(
                "INSERT INTO memvault_catalog.schema_migrations (name) VALUES ('v99: from the future')", "test")
        }
        let refused = await #expect(throws: MemVaultError.self) {
            try await workers.run {
                try PostgresMigrator.migrate(
                    $0, schema: PostgresCatalogSchema.schema, migrations: PostgresCatalogSchema.migrations)
            }
        }
        #expect(refused?.message.contains("newer version") == true)
        await workers.shutdown()
    }
}
