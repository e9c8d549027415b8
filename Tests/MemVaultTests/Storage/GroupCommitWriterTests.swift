import Dispatch
import Foundation
import GRDB
import MemVault
import Synchronization
import Testing

@testable import MemVaultSQLite

@Suite("Group commit")
struct GroupCommitWriterTests {
    /// Counts commits on the connection it observes.
    final class CommitCounter: TransactionObserver, Sendable {
        let commits = Mutex(0)
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    private func database() throws -> (DatabasePool, TemporaryFolder) {
        let folder = try TemporaryFolder()
        let pool = try DatabasePool(path: folder.appending("db.sqlite"))
        try pool.write { db in try db.execute(sql: "CREATE TABLE items (value INTEGER PRIMARY KEY)") }
        return (pool, folder)
    }

    @Test("concurrent writes share transactions, and every one is stored")
    func batching() async throws {
        let (pool, folder) = try database()
        let counter = CommitCounter()
        pool.add(transactionObserver: counter, extent: .databaseLifetime)
        let writer = GroupCommitWriter(database: pool, label: "test")
        // A first write holds the writer until the others are all waiting, so they are truly concurrent (an idle
        // writer runs a lone write at once, on its caller's thread).
        let release = DispatchSemaphore(value: 0)
        let waiting = CommitCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await writer.write { db in
                    try db.execute(sql: "INSERT INTO items VALUES (?)", arguments: [-1])
                    release.wait()
                }
            }
            for value in 0..<1_999 {
                group.addTask {
                    waiting.commits.withLock { $0 += 1 }
                    try await writer.write { db in
                        try db.execute(sql: "INSERT INTO items VALUES (?)", arguments: [value])
                    }
                }
            }
            while waiting.commits.withLock({ $0 }) < 1_999 { try await Task.sleep(for: .milliseconds(1)) }
            try await Task.sleep(for: .milliseconds(20))
            release.signal()
            try await group.waitForAll()
        }
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM items") } == 2_000)
        let commits = counter.commits.withLock { $0 }
        #expect(commits < 2_000, "\(commits) commits for 2,000 concurrent writes: nothing was grouped")
        _ = folder
    }

    @Test("a failing write fails alone; the others in its batch are stored")
    func isolatedFailure() async throws {
        let (pool, folder) = try database()
        let writer = GroupCommitWriter(database: pool, label: "test")
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for value in 0..<200 {
                group.addTask {
                    do {
                        try await writer.write { db in
                            // Every tenth write violates the primary key after inserting its own row.
                            try db.execute(sql: "INSERT INTO items VALUES (?)", arguments: [value + 1_000])
                            if value % 10 == 0 {
                                try db.execute(sql: "INSERT INTO items VALUES (?)", arguments: [value + 1_000])
                            }
                        }
                        return (value, true)
                    } catch {
                        return (value, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let stored = Set(try await pool.read { try Int.fetchAll($0, sql: "SELECT value - 1000 FROM items") })
        #expect(stored == Set((0..<200).filter { $0 % 10 != 0 }))
        #expect(outcomes.filter { !$0.value }.keys.sorted() == (0..<200).filter { $0 % 10 == 0 })
        _ = folder
    }

    @Test("a write is acknowledged only after its transaction committed")
    func acknowledgedMeansCommitted() async throws {
        let (pool, folder) = try database()
        let writer = GroupCommitWriter(database: pool, label: "test")
        for value in 0..<50 {
            try await writer.write { db in try db.execute(sql: "INSERT INTO items VALUES (?)", arguments: [value]) }
            // A fresh connection sees only committed data.
            let reader = try DatabaseQueue(path: folder.appending("db.sqlite"))
            #expect(
                try await reader.read {
                    try Bool.fetchOne(
                        $0, sql: "SELECT EXISTS (SELECT 1 FROM items WHERE value = ?)", arguments: [value])
                } == true)
            try reader.close()
        }
    }

    @Test("the synchronous setting reaches every tenant database", arguments: SQLiteConfiguration.Synchronous.allCases)
    func synchronousSetting(mode: SQLiteConfiguration.Synchronous) async throws {
        let folder = try TemporaryFolder()
        var configuration = SQLiteConfiguration()
        configuration.synchronous = mode
        let storage = try SQLiteTenantStorage(
            tenant: TenantID("acme"), path: folder.appending("acme.sqlite"), configuration: configuration, create: true)
        let values = try await storage.pool.read { db in
            [
                try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Int.fetchOne(db, sql: "PRAGMA secure_delete"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
            ]
        }
        let journal = try await storage.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(values == [mode == .full ? 2 : 1, 1, 1])
        #expect(journal == "wal")
        try storage.close()
    }
}
