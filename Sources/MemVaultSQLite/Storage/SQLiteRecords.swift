import Foundation
import GRDB
import MemVault
import MemVaultAudit

/// A tenant's (or the catalog's) records as one unit of work or one read-only snapshot sees them: a GRDB
/// `Database` inside its transaction. The protocols it implements are split by concern across this folder.
///
/// Used only on the thread running the transaction; never escapes the closure it was made for.
struct SQLiteRecords {
    let db: Database
    /// The writes' shared state; nil in a read-only snapshot, which cannot append.
    let transaction: TransactionState?
    /// The log's origin, for the genesis of an empty chain.
    let origin: String

    func run<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw storageError(error, context())
        }
    }
}

// MARK: - Audit log

extension SQLiteRecords: AuditLogRecords {
    func appendAudit(_ entry: AuditEntry) throws -> UInt64 {
        guard let transaction else {
            throw MemVaultError(.storage, "an audit entry can only be appended in a unit of work")
        }
        return try run("recording an audit entry") {
            // The tail is read once per transaction, inside it: entries another process appended are chained onto.
            var head = try transaction.auditHead ?? tail()
            let stored = try head.append(entry)
            try db.cachedStatement(sql: "INSERT INTO audit_log (sequence, entry, hash) VALUES (?, ?, ?)")
                .execute(
                    arguments: StatementArguments([
                        Int64(stored.sequence).databaseValue, Data(stored.encoded).databaseValue,
                        Data(stored.hash).databaseValue,
                    ]))
            transaction.auditHead = head
            transaction.auditAppended += 1
            return stored.sequence
        }
    }

    private func tail() throws -> AuditChainHead {
        let cursor = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"))
        guard let row = try cursor.next() else { return try .empty(origin: origin) }
        return AuditChainHead(sequence: UInt64(row[0] as Int64), hash: Array(row[1] as Data))
    }

    func auditSize() throws -> UInt64 {
        try run("reading the audit log") {
            UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM audit_log") ?? 0)
        }
    }

    func auditEntries(after: UInt64, limit: Int) throws -> [StoredAuditEntry] {
        try run("reading the audit log") {
            try Row.fetchAll(
                db, sql: "SELECT sequence, entry, hash FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [Int64(clamping: after), limit]
            ).map { row in
                StoredAuditEntry(
                    sequence: UInt64(row["sequence"] as Int64), encoded: Array(row["entry"] as Data),
                    hash: Array(row["hash"] as Data))
            }
        }
    }

    func insertCheckpoint(_ checkpoint: StoredCheckpoint) throws {
        try run("storing a checkpoint") {
            try db.execute(
                sql: "INSERT OR REPLACE INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
                arguments: [Int64(checkpoint.size), Data(checkpoint.root), checkpoint.note, checkpoint.createdAt])
        }
    }

    func checkpoints() throws -> [StoredCheckpoint] {
        try run("reading checkpoints") {
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY size").map { row in
                StoredCheckpoint(
                    size: UInt64(row["size"] as Int64), root: Array(row["root"] as Data), note: row["note"],
                    createdAt: row["created_at"])
            }
        }
    }
}
