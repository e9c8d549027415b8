package import GRDB
package import MemVaultAudit

/// Appending to an `audit_log` table exactly as the store does, for databases other than MemVault's own (the
/// benchmark's baselines).
package enum AuditLogTable {
    package static let schema = AuditLogSchema.tables

    @discardableResult
    package static func append(
        _ db: Database, _ entry: AuditEntry, origin: String, state: TransactionState
    ) throws -> UInt64 {
        try SQLiteRecords(db: db, transaction: state, origin: origin).appendAudit(entry)
    }
}
