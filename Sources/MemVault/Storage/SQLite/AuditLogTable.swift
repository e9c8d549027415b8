import Foundation
package import GRDB
import MemVaultAudit

/// Appending to a tenant database's `audit_log` table (Audit/SPEC.md).
package enum AuditLogTable {
    /// Appends the next entry inside the caller's transaction: the chain's tail is read in that same transaction,
    /// so concurrent writers (even other processes) can only ever extend it. Returns the entry's sequence number.
    @discardableResult
    package static func append(_ db: Database, _ draft: AuditDraft) throws -> UInt64 {
        let tail = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"))
        let sequence = tail.map { UInt64($0["sequence"] as Int64) + 1 } ?? 1
        let previous = tail.map { Array($0["hash"] as Data) } ?? AuditChain.genesis
        let entry = AuditEntry(
            sequence: sequence, time: StoredTime(now: .now), actor: draft.actor, role: draft.role, action: draft.action,
            purpose: draft.purpose, subject: draft.subject, cube: draft.cube, memories: draft.memories,
            effect: draft.decision.effect, ruleIDs: draft.decision.ruleIDs,
            policyRevision: draft.decision.policyRevision, returned: draft.returned, withheld: draft.withheld,
            detail: draft.detail)
        let encoded = AuditEncoding.encode(entry)
        let hash = try AuditChain.hash(previous: previous, encoded: encoded)
        try db.cachedStatement(sql: "INSERT INTO audit_log (sequence, entry, hash) VALUES (?, ?, ?)")
            .execute(arguments: [Int64(sequence), Data(encoded), Data(hash)])
        return sequence
    }

    /// The table, for databases other than a tenant's (the benchmark's baseline).
    package static let schema = """
        CREATE TABLE audit_log (
            sequence INTEGER PRIMARY KEY NOT NULL CHECK (sequence > 0),
            entry BLOB NOT NULL,
            hash BLOB NOT NULL
        ) STRICT;
        """
}
