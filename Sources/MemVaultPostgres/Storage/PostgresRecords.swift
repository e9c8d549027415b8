import MemVault
import MemVaultAudit
import NIOCore
import PostgresNIO

/// A tenant's (or the catalog's) records as one unit of work or one read-only snapshot sees them: a connection
/// inside its transaction, with the schema chosen. The protocols it implements are split by concern across this
/// folder, as `SQLiteRecords`'s are.
///
/// Used only on the backend thread running the transaction; never escapes the closure it was made for.
struct PostgresRecords {
    let connection: BlockingConnection
    /// The writes' shared state; nil in a read-only snapshot, which cannot append.
    let transaction: PostgresTransactionState?
    /// The log's origin, for the genesis of an empty chain.
    let origin: String

    func rows(_ query: PostgresQuery, _ what: String) throws -> [Columns] {
        try connection.rows(query, what).map { Columns($0.makeRandomAccess(), what: what) }
    }

    func row(_ query: PostgresQuery, _ what: String) throws -> Columns? {
        try rows(query, what).first
    }

    @discardableResult
    func execute(_ query: PostgresQuery, _ what: String) throws -> Int {
        try connection.execute(query, what)
    }
}

/// One row's columns by name, decoded into Swift values; a column that does not decode is a malformed record.
struct Columns {
    let row: PostgresRandomAccessRow
    let what: String

    init(_ row: PostgresRandomAccessRow, what: String) {
        self.row = row
        self.what = what
    }

    subscript<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) -> T {
        get throws {
            do {
                return try row[name].decode(T.self)
            } catch {
                throw malformed("\(name) column (\(what))")
            }
        }
    }

    /// A BYTEA column.
    func bytes(_ name: String) throws -> [UInt8] {
        Array(try self[name, as: ByteBuffer.self].readableBytesView)
    }

    func optionalBytes(_ name: String) throws -> [UInt8]? {
        try self[name, as: ByteBuffer?.self].map { Array($0.readableBytesView) }
    }
}

/// A record that does not read back as one: the database was changed outside MemVault.
func malformed(_ what: String) -> MemVaultError {
    MemVaultError(.integrity, "the database holds a malformed \(what); it was modified outside MemVault")
}

/// Bytes as a BYTEA parameter.
func bytea(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

// MARK: - Audit log

extension PostgresRecords: AuditLogRecords {
    func appendAudit(_ entry: AuditEntry) throws -> UInt64 {
        guard let transaction else {
            throw MemVaultError(.storage, "an audit entry can only be appended in a unit of work")
        }
        // The tail is read once per transaction, under the log's lock: entries another server appended are chained
        // onto.
        var head = try transaction.auditHead ?? tail()
        let stored = try head.append(entry)
        try execute(
            """
            INSERT INTO audit_log (sequence, entry, hash)
            VALUES (\(Int64(stored.sequence)), \(bytea(stored.encoded)), \(bytea(stored.hash)))
            """, "recording an audit entry")
        transaction.auditHead = head
        transaction.auditAppended += 1
        return stored.sequence
    }

    private func tail() throws -> AuditChainHead {
        guard
            let row = try row(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", "reading the audit log's tail")
        else { return try .empty(origin: origin) }
        return AuditChainHead(sequence: UInt64(try row["sequence", as: Int64.self]), hash: try row.bytes("hash"))
    }

    func auditSize() throws -> UInt64 {
        let row = try row("SELECT COALESCE(MAX(sequence), 0) AS size FROM audit_log", "reading the audit log")
        return UInt64(try row?["size", as: Int64.self] ?? 0)
    }

    func auditEntries(after: UInt64, limit: Int) throws -> [StoredAuditEntry] {
        try rows(
            """
            SELECT sequence, entry, hash FROM audit_log WHERE sequence > \(Int64(clamping: after))
            ORDER BY sequence LIMIT \(limit)
            """, "reading the audit log"
        ).map { row in
            StoredAuditEntry(
                sequence: UInt64(try row["sequence", as: Int64.self]), encoded: try row.bytes("entry"),
                hash: try row.bytes("hash"))
        }
    }

    func insertCheckpoint(_ checkpoint: StoredCheckpoint) throws {
        try execute(
            """
            INSERT INTO audit_checkpoints (size, root, note, created_at)
            VALUES (\(Int64(checkpoint.size)), \(bytea(checkpoint.root)), \(checkpoint.note), \(checkpoint.createdAt))
            ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note,
                created_at = excluded.created_at
            """, "storing a checkpoint")
    }

    func checkpoints() throws -> [StoredCheckpoint] {
        try rows("SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size", "reading checkpoints")
            .map { row in
                StoredCheckpoint(
                    size: UInt64(try row["size", as: Int64.self]), root: try row.bytes("root"),
                    note: try row["note"], createdAt: try row["created_at"])
            }
    }
}
