import Logging
import MemVault
import PostgresNIO
import Synchronization

/// One tenant's schema: every unit of work through the tenant's group-commit writer, reads in snapshots. The schema
/// is wherever the catalog places it; when a move takes it to another server, the first call that finds it gone
/// looks up the new placement: a read runs again there, a unit of work fails as `unavailable` (its caller retries;
/// units are not run twice behind their callers' backs).
final class PostgresTenantStorage: TenantStorage {
    /// The server holding the schema, with the writer for it.
    struct Location: Sendable {
        let server: String
        let schema: String
        let workers: PostgresWorkers
    }

    private struct Current: Sendable {
        let location: Location
        let writer: PostgresGroupCommit
    }

    let tenant: TenantID
    private let current: Mutex<Current>
    private let locate: @Sendable () async throws -> Location
    private let origin: String
    private let logger: Logger

    init(
        tenant: TenantID, location: Location, logger: Logger,
        locate: @escaping @Sendable () async throws -> Location
    ) {
        self.tenant = tenant
        self.logger = logger
        self.locate = locate
        origin = AuditOrigins.tenant(tenant)
        current = Mutex(Self.current(location, logger: logger))
    }

    private static func current(_ location: Location, logger: Logger) -> Current {
        Current(
            location: location,
            writer: PostgresGroupCommit(workers: location.workers, schema: location.schema, logger: logger))
    }

    var schema: String { current.withLock { $0.location.schema } }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any TenantTransaction) throws -> T) async throws -> T {
        let origin = origin
        let now = current.withLock { $0 }
        do {
            return try await now.writer.write { connection, state in
                try body(PostgresRecords(connection: connection, transaction: state, origin: origin))
            }
        } catch let error as MemVaultError where error.code == .unavailable {
            guard try await relocate(from: now.location) else { throw error }
            throw MemVaultError(
                .unavailable, "tenant '\(tenant)' moved to another PostgreSQL server while this ran; try again")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any TenantReader) throws -> T) async throws -> T {
        let origin = origin
        let now = current.withLock { $0.location }
        let run = { (location: Location) in
            try await location.workers.transaction(schema: location.schema, lock: nil, readOnly: true) { connection in
                try body(PostgresRecords(connection: connection, transaction: nil, origin: origin))
            }
        }
        do {
            return try await run(now)
        } catch let error as MemVaultError where error.code == .unavailable {
            guard try await relocate(from: now) else { throw error }
            return try await run(current.withLock { $0.location })
        }
    }

    /// Looks up the placement again; `true` if the schema is now elsewhere (this storage then uses it).
    @discardableResult
    func relocate(from old: Location? = nil) async throws -> Bool {
        let old = old ?? current.withLock { $0.location }
        let found = try await locate()
        guard found.server != old.server || found.schema != old.schema else { return false }
        current.withLock { current in
            if current.location.server == old.server, current.location.schema == old.schema {
                current = Self.current(found, logger: logger)
            }
        }
        logger.info("the tenant's schema moved", metadata: ["tenant": "\(tenant)", "server": "\(found.server)"])
        return true
    }

    /// The tables deletions touch, rewritten from their live rows: a plain VACUUM only marks dead tuples' space
    /// reusable and leaves their bytes in the pages, while VACUUM FULL writes new files (the old ones are unlinked)
    /// and rebuilds the indexes. It holds each table's lock while it runs, for this tenant only. What the WAL still
    /// holds of deleted rows is ciphertext and blind terms under keys erasure destroys (docs/postgres.md).
    func purgeDeleted() async throws {
        let now = current.withLock { $0.location }
        do {
            try await purge(now)
        } catch let error as MemVaultError where error.code == .unavailable {
            // A move copies live rows only and drops the old schema; the new copy is cleaned all the same.
            guard try await relocate(from: now) else { throw error }
            try await purge(current.withLock { $0.location })
        }
    }

    private func purge(_ location: Location) async throws {
        let tables = Self.purgedTables.map { "\(SQLName.quoted(location.schema)).\($0)" }.joined(separator: ", ")
        try await location.workers.run { connection in
            let horizon = try OlderSnapshots.horizon(connection)
            try OlderSnapshots.awaitEnd { try OlderSnapshots.older(than: horizon, on: connection) }
            try connection.execute(PostgresQuery(unsafeSQL: "VACUUM FULL \(tables)"), "cleaning the tenant's tables")
        }
        logger.debug("purged deleted records from the tables", metadata: ["schema": "\(location.schema)"])
    }

    static let purgedTables = [
        "memories", "memory_history", "search_documents", "search_postings", "memory_vectors", "subjects", "cubes",
        "consents", "consent_history", "legal_holds", "restrictions", "erasure_requests", "cube_memory_counts",
        "vector_generations",
    ]
}
