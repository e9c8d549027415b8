import Logging
import MemVault

/// The installation's catalog in its own schema on the primary server: tenant entries, placements, credentials and
/// the installation audit log.
final class PostgresCatalogStorage: CatalogStorage {
    private let workers: PostgresWorkers
    private let writer: PostgresGroupCommit
    private let schema = PostgresCatalogSchema.schema

    init(workers: PostgresWorkers, logger: Logger) {
        self.workers = workers
        writer = PostgresGroupCommit(workers: workers, schema: PostgresCatalogSchema.schema, logger: logger)
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any CatalogTransaction) throws -> T) async throws -> T {
        try await writer.write { connection, state in
            try body(PostgresRecords(connection: connection, transaction: state, origin: AuditOrigins.installation))
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any CatalogReader) throws -> T) async throws -> T {
        try await workers.transaction(schema: schema, lock: nil, readOnly: true) { connection in
            try body(PostgresRecords(connection: connection, transaction: nil, origin: AuditOrigins.installation))
        }
    }
}
