import Foundation
import MemVault
import PostgresNIO

/// `VACUUM FULL` copies the row versions a running transaction may still see ("recently dead") into the files it
/// writes: while any transaction older than a deletion is open in the database (a long report, a `pg_dump`,
/// autovacuum's `ANALYZE`), the deleted rows would survive the rewrite (the forensic test saw an erased subject's
/// wrapped key do so). Before rewriting, the purge waits for every such transaction to end, and fails (to run again,
/// as every purge may) rather than report files clean that are not. Other roles' transactions are visible to a role
/// with `pg_read_all_stats` (docs/postgres.md).
enum OlderSnapshots {
    /// The first transaction id not yet given out: a snapshot whose xmin is at least this sees every commit so far.
    static func horizon(_ connection: BlockingConnection) throws -> String {
        let horizon = try connection.rows(
            "SELECT (pg_snapshot_xmax(pg_current_snapshot())::text::numeric % 4294967296)::bigint::text AS horizon",
            "reading the transaction horizon"
        ).first.map { try Columns($0.makeRandomAccess(), what: "transaction horizon")["horizon", as: String.self] }
        guard let horizon else { throw malformed("transaction horizon") }
        return horizon
    }

    /// Transactions of the database, other than `connection`'s, whose snapshot is older than `horizon`.
    static func older(than horizon: String, on connection: BlockingConnection) throws -> Int64 {
        try connection.rows(
            """
            SELECT COUNT(*)::bigint AS older FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL
                AND age(backend_xmin) > age(\(horizon)::xid)
            """, "looking for transactions older than the deletion"
        ).first.map { try Columns($0.makeRandomAccess(), what: "older transactions")["older", as: Int64.self] } ?? 0
    }

    /// Polls `older` until it counts none. Each poll is its own call, so a caller sharing a connection does not
    /// hold it while waiting (a transaction being waited for may need that connection to finish).
    static func awaitEnd(timeout: Duration = .seconds(30), _ older: () throws -> Int64) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let count = try older()
            if count == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw MemVaultError(
                    .unavailable,
                    "\(count) transaction(s) older than the deletion are still open in the database: the deleted rows "
                        + "cannot be cleaned from its files until they end; run the operation again")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
