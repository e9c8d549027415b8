import Foundation
import GRDB
import Logging
import MemVault

/// One tenant's SQLite database: a `DatabasePool` (WAL, many readers) with every unit of work through group commit.
final class SQLiteTenantStorage: TenantStorage {
    let tenant: TenantID
    let pool: DatabasePool
    private let writer: GroupCommitWriter
    private let origin: String
    private let label: String
    private let logger: Logger

    init(
        tenant: TenantID, path: String, configuration: SQLiteConfiguration, create: Bool,
        logger: Logger = Logger(label: "memvault.sqlite", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        self.tenant = tenant
        self.logger = logger
        origin = AuditOrigins.tenant(tenant)
        label = "the database of tenant '\(tenant)'"
        pool = try SQLiteDatabase.openPool(
            path: path, label: label, configuration: configuration, synchronous: configuration.synchronous,
            foreignKeys: true, create: create, migrator: TenantSchema.migrator, logger: logger)
        writer = GroupCommitWriter(
            database: pool, label: "memvault.writer.\(tenant)", maximumBatch: configuration.maximumGroupCommit,
            logger: logger)
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any TenantTransaction) throws -> T) async throws -> T {
        let origin = origin
        do {
            return try await writer.write { db, state in
                try body(SQLiteRecords(db: db, transaction: state, origin: origin))
            }
        } catch {
            throw storageError(error, "a unit of work on tenant '\(tenant)'")
        }
    }

    /// Synchronous on purpose: short SQLite reads, and GRDB's async read overload costs about three times as much
    /// per call (GRDB's Concurrency guide).
    func read<T: Sendable>(_ body: @escaping @Sendable (any TenantReader) throws -> T) async throws -> T {
        let origin = origin
        do {
            return try SQLiteDatabase.read(pool) { db in
                try body(SQLiteRecords(db: db, transaction: nil, origin: origin))
            }
        } catch {
            throw storageError(error, "reading tenant '\(tenant)'")
        }
    }

    /// What each step removes, measured by `ResidueTests`: `secure_delete` zeroes a deleted row's cells and freed
    /// pages in the page images written from then on, but the frames written before stay in the WAL until a
    /// checkpoint copies the zeroed pages into the database and the WAL is truncated; FTS5 (SQLite 3.40 has no
    /// FTS5 secure-delete) only records a tombstone, and keeps a deleted document's blind terms in their segment
    /// until the segments are merged, so they are merged into one first.
    func purgeDeleted() async throws {
        do {
            try await writer.write { db in
                try db.execute(sql: "INSERT INTO search_index (search_index) VALUES ('optimize')")
            }
            // secure_delete zeroes a deleted cell, but not the stale copies a page keeps in its unallocated gap
            // after B-tree rebalancing moved cells away (measured: a deleted subject's rows and blind terms
            // survived there). VACUUM rebuilds every page from the live rows only.
            let (frames, copied) = try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM")
                return try db.checkpoint(.truncate)
            }
            guard frames == 0 || copied == frames else {
                throw MemVaultError(
                    .storage,
                    "\(label): \(frames - copied) log frames could not be copied into the database (a reader held them); "
                        + "the next deletion cleans them")
            }
            logger.debug("purged deleted records from the files", metadata: ["database": "\(label)"])
        } catch let error as MemVaultError {
            throw error
        } catch {
            throw storageError(error, "cleaning the files of tenant '\(tenant)' after a deletion")
        }
    }

    func close() throws {
        try SQLiteDatabase.close(pool, label: label, logger: logger)
    }
}
