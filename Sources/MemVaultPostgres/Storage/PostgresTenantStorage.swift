import Logging
import MemVault
import PostgresNIO

/// One tenant's schema: every unit of work through the tenant's group-commit writer, reads in snapshots.
final class PostgresTenantStorage: TenantStorage {
    let tenant: TenantID
    let schema: String
    private let workers: PostgresWorkers
    private let writer: PostgresGroupCommit
    private let origin: String
    private let logger: Logger

    init(tenant: TenantID, schema: String, workers: PostgresWorkers, logger: Logger) {
        self.tenant = tenant
        self.schema = schema
        self.workers = workers
        self.logger = logger
        origin = AuditOrigins.tenant(tenant)
        writer = PostgresGroupCommit(workers: workers, schema: schema, logger: logger)
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any TenantTransaction) throws -> T) async throws -> T {
        let origin = origin
        return try await writer.write { connection, state in
            try body(PostgresRecords(connection: connection, transaction: state, origin: origin))
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any TenantReader) throws -> T) async throws -> T {
        let origin = origin
        return try await workers.transaction(schema: schema, lock: nil, readOnly: true) { connection in
            try body(PostgresRecords(connection: connection, transaction: nil, origin: origin))
        }
    }

    /// The tables deletions touch, rewritten from their live rows: a plain VACUUM only marks dead tuples' space
    /// reusable and leaves their bytes in the pages, while VACUUM FULL writes new files (the old ones are unlinked)
    /// and rebuilds the indexes. It holds each table's lock while it runs, for this tenant only. What the WAL still
    /// holds of deleted rows is ciphertext and blind terms under keys erasure destroys (docs/postgres.md).
    func purgeDeleted() async throws {
        let tables = Self.purgedTables.map { "\(SQLName.quoted(schema)).\($0)" }.joined(separator: ", ")
        try await workers.run { connection in
            try connection.execute(PostgresQuery(unsafeSQL: "VACUUM FULL \(tables)"), "cleaning the tenant's tables")
        }
        logger.debug("purged deleted records from the tables", metadata: ["schema": "\(schema)"])
    }

    static let purgedTables = [
        "memories", "memory_history", "search_documents", "search_postings", "memory_vectors", "subjects", "cubes",
        "consents", "consent_history", "legal_holds", "restrictions", "erasure_requests", "cube_memory_counts",
        "vector_generations",
    ]
}
