import Foundation
import MemVault
import PostgresNIO

/// Moves one tenant's schema between two PostgreSQL servers with a short pause of its writes (docs/postgres.md):
///
/// 1. the move is recorded in the catalog (`moving_to`) and a fresh, empty schema made on the target;
/// 2. the source's log lock is taken for the session: every server's writers of the tenant wait (reads go on);
/// 3. every table is copied from one snapshot, triggers off (the counters are copied, not recomputed), in foreign-key
///    order, and the sequences set; each table's row count and digest must then match on both sides;
/// 4. the catalog is switched to the target, the source schema dropped, and the lock released. Writers that waited
///    on the source find its tables gone and fail as `unavailable`; their tenant storage looks up the new
///    placement, and the retry lands on the target.
///
/// Interrupted anywhere before the switch, the source is untouched and a move run again starts over; after it, a
/// run again only removes the old copy (`left_behind`).
struct PostgresTenantMove {
    let tenant: TenantID
    let placement: Placement
    let target: String
    let source: PostgresWorkers
    let destination: PostgresWorkers
    let catalog: PostgresWorkers
    let progress: @Sendable (TenantMoveProgress) -> Void

    /// Rows fetched from the source and inserted on the target at a time.
    static let batchRows = 2_000

    func run() async throws -> TenantMoveReport {
        let started = ContinuousClock.now
        let schema = placement.schema
        try await catalog.run { connection in
            try PlacementRecords(connection: connection).startMove(tenant, from: placement, to: target)
        }
        try await destination.run { connection in
            try connection.execute(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(SQLName.quoted(schema)) CASCADE"),
                "removing what an interrupted move left on the target")
            try PostgresMigrator.migrate(connection, schema: schema, migrations: PostgresTenantSchema.migrations)
        }
        let (copied, pause) = try await source.run { [self] connection in
            try connection.execute(
                "SELECT pg_advisory_lock(\(AdvisoryLock.key("log:\(schema)")))", "pausing the tenant's writers")
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock_all()", "resuming the tenant's writers") }
            let paused = ContinuousClock.now
            let copied = try destination.withConnection { target in try copy(from: connection, to: target) }
            let switched = try catalog.withConnection { catalogConnection in
                try PlacementRecords(connection: catalogConnection).switchMove(
                    tenant, from: placement.server, to: self.target)
            }
            guard switched else {
                throw MemVaultError(.conflict, "tenant '\(tenant)''s placement changed during the move; run it again")
            }
            try connection.execute(
                PostgresQuery(unsafeSQL: "DROP SCHEMA \(SQLName.quoted(schema)) CASCADE"), "removing the old copy")
            return (copied, ContinuousClock.now - paused)
        }
        try await catalog.run { connection in try PlacementRecords(connection: connection).clearLeftBehind(tenant) }
        return TenantMoveReport(
            tenant: tenant.rawValue, from: placement.server, to: target, tables: copied.tables, rows: copied.rows,
            auditEntries: copied.auditEntries, pauseMilliseconds: pause.milliseconds,
            totalMilliseconds: (ContinuousClock.now - started).milliseconds)
    }

    private struct Copied {
        var tables = 0
        var rows = 0
        var auditEntries = 0
    }

    /// Every table from one snapshot of the source into one transaction on the target, checked before it commits.
    private func copy(from source: BlockingConnection, to target: BlockingConnection) throws -> Copied {
        let schema = placement.schema
        let tables = try Self.tablesInReferenceOrder(target, schema: schema)
        var copied = Copied()
        try PostgresWorkers.inTransaction(source, schema: nil, lock: nil, readOnly: true) {
            try PostgresWorkers.inTransaction(target, schema: nil, lock: nil, readOnly: false) {
                // The fresh schema's own first rows (counters, the migrations applied) are replaced by the source's.
                let all = tables.map { "\(SQLName.quoted(schema)).\(SQLName.quoted($0))" }.joined(separator: ", ")
                try target.execute(PostgresQuery(unsafeSQL: "TRUNCATE \(all)"), "emptying the tenant's new schema")
                for (index, table) in tables.enumerated() {
                    let name = "\(SQLName.quoted(schema)).\(SQLName.quoted(table))"
                    try target.execute(
                        PostgresQuery(unsafeSQL: "ALTER TABLE \(name) DISABLE TRIGGER USER"), "copying the tenant")
                    let rows = try Self.copyRows(of: name, from: source, to: target)
                    try target.execute(
                        PostgresQuery(unsafeSQL: "ALTER TABLE \(name) ENABLE TRIGGER USER"), "copying the tenant")
                    guard try Self.digest(of: name, on: source) == Self.digest(of: name, on: target) else {
                        throw MemVaultError(
                            .storage, "the copy of tenant '\(tenant)''s \(table) table differs from the original")
                    }
                    copied.tables += 1
                    copied.rows += rows
                    if table == "audit_log" { copied.auditEntries = rows }
                    progress(TenantMoveProgress(table: table, rows: rows, tablesDone: index + 1, tables: tables.count))
                }
                try Self.advanceSequences(target, schema: schema)
            }
        }
        return copied
    }

    /// The schema's tables, each after the tables its foreign keys refer to.
    private static func tablesInReferenceOrder(_ connection: BlockingConnection, schema: String) throws -> [String] {
        var references: [String: Set<String>] = [:]
        for row in try connection.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.relname AS name, COALESCE(ARRAY(
                        SELECT r.relname::text FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
                        WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid), '{}') AS refers_to
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relkind = 'r'
                    """, binds: PostgresBindings(text: schema)), "listing the tenant's tables")
        {
            let columns = Columns(row.makeRandomAccess(), what: "tenant tables")
            references[try columns["name", as: String.self]] = Set(try columns["refers_to", as: [String].self])
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < references.count {
            let ready = references.keys.sorted().filter { !placed.contains($0) && references[$0]!.isSubset(of: placed) }
            guard !ready.isEmpty else {
                throw MemVaultError(.storage, "the tenant's tables refer to each other in a cycle")
            }
            ordered += ready
            placed.formUnion(ready)
        }
        return ordered
    }

    /// Rows as JSON documents through a cursor, inserted in batches: every column type round-trips (bytea as hex).
    private static func copyRows(of name: String, from source: BlockingConnection, to target: BlockingConnection)
        throws -> Int
    {
        try source.execute(
            PostgresQuery(
                unsafeSQL: "DECLARE moving NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM \(name) t"),
            "reading the tenant")
        defer { _ = try? source.execute("CLOSE moving", "reading the tenant") }
        var total = 0
        while true {
            let rows = try source.rows(
                PostgresQuery(unsafeSQL: "FETCH FORWARD \(batchRows) FROM moving"), "reading the tenant")
            guard !rows.isEmpty else { return total }
            let documents = try rows.map {
                try Columns($0.makeRandomAccess(), what: "moved row")["row", as: String.self]
            }
            try target.execute(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(name) SELECT * FROM jsonb_populate_recordset(NULL::\(name), $1::jsonb)",
                    binds: PostgresBindings(text: "[" + documents.joined(separator: ",") + "]")),
                "writing the tenant's copy")
            total += rows.count
        }
    }

    /// A table's row count and an order-independent digest of its rows.
    private static func digest(of name: String, on connection: BlockingConnection) throws -> String {
        let row = try connection.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT COUNT(*)::text || ':' || COALESCE(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '')
                        AS digest FROM \(name) t
                    """), "checking the tenant's copy")
        guard let first = row.first else { throw MemVaultError(.storage, "checking the tenant's copy read no digest") }
        return try Columns(first.makeRandomAccess(), what: "digest")["digest", as: String.self]
    }

    /// Each serial column's sequence continues after the largest value copied.
    private static func advanceSequences(_ connection: BlockingConnection, schema: String) throws {
        for row in try connection.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT table_name::text AS name, column_name::text AS column FROM information_schema.columns
                    WHERE table_schema = $1 AND column_default LIKE 'nextval(%'
                    """, binds: PostgresBindings(text: schema)), "listing the tenant's sequences")
        {
            let columns = Columns(row.makeRandomAccess(), what: "tenant sequences")
            let table = "\(SQLName.quoted(schema)).\(SQLName.quoted(try columns["name", as: String.self]))"
            let column = SQLName.quoted(try columns["column", as: String.self])
            try connection.execute(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(\(column)), 0) + 1, false)
                        FROM \(table)
                        """, binds: PostgresBindings(text: table, try columns["column", as: String.self])),
                "continuing the sequences")
        }
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
