import Foundation
import GRDB
import Logging
import MemVault

/// The installation's catalog database: tenant entries and the installation audit log.
final class SQLiteCatalogStorage: CatalogStorage {
    let pool: DatabasePool
    private let writer: GroupCommitWriter
    private let logger: Logger

    init(path: String, configuration: SQLiteConfiguration, logger: Logger) throws {
        self.logger = logger
        pool = try SQLiteDatabase.openPool(
            path: path, label: "the catalog", configuration: configuration, synchronous: .full, foreignKeys: true,
            create: true, migrator: CatalogSchema.migrator, logger: logger)
        writer = GroupCommitWriter(database: pool, label: "memvault.writer.catalog", logger: logger)
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any CatalogTransaction) throws -> T) async throws -> T {
        do {
            return try await writer.write { db, state in
                try body(SQLiteRecords(db: db, transaction: state, origin: AuditOrigins.installation))
            }
        } catch {
            throw storageError(error, "a unit of work on the catalog")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any CatalogReader) throws -> T) async throws -> T {
        do {
            return try SQLiteDatabase.read(pool) { db in
                try body(SQLiteRecords(db: db, transaction: nil, origin: AuditOrigins.installation))
            }
        } catch {
            throw storageError(error, "reading the catalog")
        }
    }

    func close() throws {
        try SQLiteDatabase.close(pool, label: "the catalog", logger: logger)
    }
}
