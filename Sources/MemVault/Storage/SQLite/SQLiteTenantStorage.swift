import Foundation
import GRDB
import MemVaultAudit

/// One tenant's SQLite database: a `DatabasePool` (WAL, many readers) with all writes through group commit.
///
/// Reads are synchronous inside async functions on purpose: they are short, CPU-bound SQLite calls, and GRDB's
/// async read overload costs about three times as much per call (see GRDB's Concurrency guide).
final class SQLiteTenantStorage: TenantStorage {
    let tenant: TenantID
    let pool: DatabasePool
    private let writer: GroupCommitWriter

    init(tenant: TenantID, path: String, configuration: SQLiteConfiguration) throws {
        self.tenant = tenant
        var options = Configuration()
        options.label = "MemVault tenant \(tenant)"
        options.foreignKeysEnabled = true
        options.maximumReaderCount = configuration.maximumReaders
        options.busyMode = .timeout(configuration.busyTimeoutSeconds)
        let synchronous = configuration.synchronous.rawValue.uppercased()
        options.prepareDatabase { db in
            // secure_delete: deleted records are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: options)
            try TenantSchema.migrator.migrate(pool)
        } catch {
            throw storageError(error, "opening the database of tenant '\(tenant)'")
        }
        writer = GroupCommitWriter(
            database: pool, label: "memvault.writer.\(tenant)", maximumBatch: configuration.maximumGroupCommit)
    }

    func close() throws {
        try pool.close()
    }

    // MARK: - Subjects

    func insertSubject(_ record: SubjectRecord, audit: AuditDraft) async throws {
        try await write("adding a subject") { db in
            try db.execute(
                sql: """
                    INSERT INTO subjects (subject_id, pseudonym, external_id, key_version, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id.rawValue, record.pseudonym, Data(record.externalID), record.keyVersion,
                    record.createdAt,
                ])
            try Self.appendAudit(db, audit)
        }
    }

    func subject(pseudonym: String) async throws -> SubjectRecord? {
        try read("reading a subject") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM subjects WHERE pseudonym = ?", arguments: [pseudonym])
                .map(SubjectRecord.init(row:))
        }
    }

    func subject(id: SubjectID) async throws -> SubjectRecord? {
        try read("reading a subject") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM subjects WHERE subject_id = ?", arguments: [id.rawValue])
                .map(SubjectRecord.init(row:))
        }
    }

    // MARK: - Cubes

    func insertCube(_ record: CubeRecord, audit: AuditDraft) async throws {
        try await write("creating a cube") { db in
            try db.execute(
                sql: """
                    INSERT INTO cubes (cube_id, subject_id, kind, default_category, schema_version, metadata,
                                       key_version, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id.rawValue, record.subject?.rawValue, record.kind, record.defaultCategory,
                    record.schemaVersion, Data(record.metadata), record.keyVersion, record.createdAt,
                    record.updatedAt,
                ])
            try Self.appendAudit(db, audit)
        }
    }

    func cube(_ id: CubeID) async throws -> CubeRecord? {
        try read("reading a cube") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM cubes WHERE cube_id = ?", arguments: [id.rawValue])
                .map(CubeRecord.init(row:))
        }
    }

    func cubes(subject: SubjectID??, after: CubeID?, limit: Int) async throws -> [CubeRecord] {
        try read("listing cubes") { db in
            var conditions = ["cube_id > ?"]
            var arguments: StatementArguments = [after?.rawValue ?? ""]
            switch subject {
            case .none: break
            case .some(.none): conditions.append("subject_id IS NULL")
            case .some(.some(let subject)):
                conditions.append("subject_id = ?")
                arguments += [subject.rawValue]
            }
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM cubes WHERE \(conditions.joined(separator: " AND ")) ORDER BY cube_id LIMIT ?",
                arguments: arguments
            ).map(CubeRecord.init(row:))
        }
    }

    func deleteCube(_ id: CubeID, audit: AuditDraft) async throws -> Bool {
        try await write("deleting a cube") { db in
            try db.execute(
                sql: """
                    DELETE FROM memory_history WHERE memory_id IN (SELECT memory_id FROM memories WHERE cube_id = ?);
                    DELETE FROM memories WHERE cube_id = ?;
                    """,
                arguments: [id.rawValue, id.rawValue])
            try db.execute(sql: "DELETE FROM cubes WHERE cube_id = ?", arguments: [id.rawValue])
            guard db.changesCount > 0 else { return false }
            try Self.appendAudit(db, audit)
            return true
        }
    }

    // MARK: - Memories

    func insertMemories(_ records: [MemoryRecord], check: GovernanceCheck?, audit: AuditDraft) async throws {
        try await write("adding memories") { db in
            var audit = audit
            if let check {
                let consent = try check.subject.flatMap { subject in
                    try String.fetchOne(
                        db.cachedStatement(sql: "SELECT state FROM consents WHERE subject_id = ? AND purpose = ?"),
                        arguments: [subject.rawValue, check.purpose])
                }
                audit.decision = try check.permit(consent, try Self.isHeld(db, check.holdTargets))
            }
            let statement = try db.cachedStatement(
                sql: "INSERT INTO memories (\(TenantSchema.memoryColumns)) VALUES (\(Self.memoryPlaceholders))")
            for record in records {
                try statement.execute(arguments: record.arguments)
            }
            try Self.appendAudit(db, audit)
        }
    }

    func memory(_ id: MemoryID) async throws -> MemoryRecord? {
        try read("reading a memory") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(TenantSchema.memoryColumns) FROM memories WHERE memory_id = ?"),
                arguments: [id.rawValue]
            ).map(MemoryRecord.init(row:))
        }
    }

    func memory(_ id: MemoryID, version: Int) async throws -> MemoryRecord? {
        try read("reading a memory version") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(TenantSchema.memoryColumns) FROM memories WHERE memory_id = ? AND version = ?
                    UNION ALL
                    SELECT \(TenantSchema.memoryColumns) FROM memory_history WHERE memory_id = ? AND version = ?
                    """,
                arguments: [id.rawValue, version, id.rawValue, version]
            ).map(MemoryRecord.init(row:))
        }
    }

    func memories(
        _ scope: MemoryScope, statuses: Set<MemoryStatus>, after: MemoryID?, limit: Int
    ) async throws -> [MemoryRecord] {
        try read("listing memories") { db in
            let (column, value) =
                switch scope {
                case .cube(let cube): ("cube_id", cube.rawValue)
                case .subject(let subject): ("subject_id", subject.rawValue)
                }
            let statusList = statuses.map(\.rawValue).sorted()
            let placeholders = databaseQuestionMarks(count: statusList.count)
            var arguments: StatementArguments = [value, after?.rawValue ?? ""]
            arguments += StatementArguments(statusList)
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(TenantSchema.memoryColumns) FROM memories
                    WHERE \(column) = ? AND memory_id > ? AND status IN (\(placeholders))
                    ORDER BY memory_id LIMIT ?
                    """,
                arguments: arguments
            ).map(MemoryRecord.init(row:))
        }
    }

    func replaceMemory(_ record: MemoryRecord, audit: AuditDraft) async throws -> Bool {
        try await write("updating a memory") { db in
            let current = try Int.fetchOne(
                db, sql: "SELECT version FROM memories WHERE memory_id = ?", arguments: [record.id.rawValue])
            guard let current, current == record.supersedes else { return false }
            try db.execute(
                sql: """
                    INSERT INTO memory_history (\(TenantSchema.memoryColumns))
                    SELECT \(TenantSchema.memoryColumns) FROM memories WHERE memory_id = ?
                    """,
                arguments: [record.id.rawValue])
            try db.execute(sql: "DELETE FROM memories WHERE memory_id = ?", arguments: [record.id.rawValue])
            try db.execute(
                sql: "INSERT INTO memories (\(TenantSchema.memoryColumns)) VALUES (\(Self.memoryPlaceholders))",
                arguments: record.arguments)
            try Self.appendAudit(db, audit)
            return true
        }
    }

    func setStatus(
        _ id: MemoryID, _ status: MemoryStatus, updatedAt: StoredTime, audit: AuditDraft
    ) async throws -> Bool {
        try await write("changing a memory's status") { db in
            try db.execute(
                sql: "UPDATE memories SET status = ?, updated_at = ? WHERE memory_id = ?",
                arguments: [status.rawValue, updatedAt, id.rawValue])
            guard db.changesCount > 0 else { return false }
            try Self.appendAudit(db, audit)
            return true
        }
    }

    func deleteMemory(_ id: MemoryID, audit: AuditDraft) async throws -> Bool {
        try await write("deleting a memory") { db in
            try db.execute(sql: "DELETE FROM memory_history WHERE memory_id = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM memories WHERE memory_id = ?", arguments: [id.rawValue])
            guard db.changesCount > 0 else { return false }
            try Self.appendAudit(db, audit)
            return true
        }
    }

    func history(_ id: MemoryID) async throws -> [MemoryRecord] {
        try read("reading a memory's history") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(TenantSchema.memoryColumns) FROM memory_history WHERE memory_id = ?
                    UNION ALL
                    SELECT \(TenantSchema.memoryColumns) FROM memories WHERE memory_id = ?
                    ORDER BY version
                    """,
                arguments: [id.rawValue, id.rawValue]
            ).map(MemoryRecord.init(row:))
        }
    }

    // MARK: - Consent and legal holds

    func recordConsent(_ change: ConsentChangeRecord, audit: AuditDraft) async throws {
        try await write("recording consent") { db in
            try db.execute(
                sql: """
                    INSERT INTO consents (subject_id, purpose, state, changed_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (subject_id, purpose) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at
                    """,
                arguments: [change.subject.rawValue, change.purpose, change.state, change.changedAt])
            try db.execute(
                sql: """
                    INSERT INTO consent_history (change_id, subject_id, purpose, state, changed_at, actor, evidence, key_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    change.id, change.subject.rawValue, change.purpose, change.state, change.changedAt, change.actor,
                    change.evidence.map { Data($0) }, change.keyVersion,
                ])
            try Self.appendAudit(db, audit)
        }
    }

    func consentHistory(subject: SubjectID) async throws -> [ConsentChangeRecord] {
        try read("reading consent history") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM consent_history WHERE subject_id = ? ORDER BY change_id",
                arguments: [subject.rawValue]
            ).map { row in
                ConsentChangeRecord(
                    id: row["change_id"], subject: try SubjectID(row["subject_id"]), purpose: row["purpose"],
                    state: row["state"], changedAt: row["changed_at"], actor: row["actor"],
                    evidence: (row["evidence"] as Data?).map(Array.init), keyVersion: row["key_version"])
            }
        }
    }

    func insertHold(_ record: LegalHoldRecord, audit: AuditDraft) async throws {
        try await write("setting a legal hold") { db in
            try db.execute(
                sql: """
                    INSERT INTO legal_holds (hold_id, target_kind, target_id, reason, key_version, set_by, set_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.target.kind, record.target.id, Data(record.reason), record.keyVersion,
                    record.setBy, record.setAt,
                ])
            try Self.appendAudit(db, audit)
        }
    }

    func clearHold(_ id: String, by actor: String, at time: StoredTime, audit: AuditDraft) async throws -> Bool {
        try await write("clearing a legal hold") { db in
            try db.execute(
                sql: "UPDATE legal_holds SET cleared_by = ?, cleared_at = ? WHERE hold_id = ? AND cleared_at IS NULL",
                arguments: [actor, time, id])
            guard db.changesCount > 0 else { return false }
            try Self.appendAudit(db, audit)
            return true
        }
    }

    func holds(includeCleared: Bool) async throws -> [LegalHoldRecord] {
        try read("listing legal holds") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM legal_holds" + (includeCleared ? "" : " WHERE cleared_at IS NULL")
                    + " ORDER BY hold_id"
            ).map { row in
                let kind: String = row["target_kind"]
                let target: HoldTarget =
                    kind == "subject" ? .subject(try SubjectID(row["target_id"])) : .cube(try CubeID(row["target_id"]))
                return LegalHoldRecord(
                    id: row["hold_id"], target: target, reason: Array(row["reason"] as Data),
                    keyVersion: row["key_version"], setBy: row["set_by"], setAt: row["set_at"],
                    clearedBy: row["cleared_by"], clearedAt: row["cleared_at"])
            }
        }
    }

    func governance(
        subject: SubjectID?, purpose: String, holdTargets: [HoldTarget]
    ) async throws -> (consent: String?, held: Bool) {
        try read("reading consent and legal holds") { db in
            let consent = try subject.flatMap { subject in
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT state FROM consents WHERE subject_id = ? AND purpose = ?"),
                    arguments: [subject.rawValue, purpose])
            }
            return (consent, try Self.isHeld(db, holdTargets))
        }
    }

    func memoryWithGovernance(
        _ id: MemoryID, purpose: String
    ) async throws -> (record: MemoryRecord, consent: String?, held: Bool)? {
        try read("reading a memory") { db in
            guard
                let record = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT \(TenantSchema.memoryColumns) FROM memories WHERE memory_id = ?"),
                    arguments: [id.rawValue]
                ).map(MemoryRecord.init(row:))
            else { return nil }
            let consent = try record.subject.flatMap { subject in
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT state FROM consents WHERE subject_id = ? AND purpose = ?"),
                    arguments: [subject.rawValue, purpose])
            }
            let targets = [HoldTarget.cube(record.cube)] + (record.subject.map { [HoldTarget.subject($0)] } ?? [])
            return (record, consent, try Self.isHeld(db, targets))
        }
    }

    private static func isHeld(_ db: Database, _ targets: [HoldTarget]) throws -> Bool {
        guard !targets.isEmpty else { return false }
        let conditions = targets.map { _ in "(target_kind = ? AND target_id = ?)" }.joined(separator: " OR ")
        var arguments = StatementArguments()
        for target in targets { arguments += [target.kind, target.id] }
        return try Bool.fetchOne(
            db.cachedStatement(
                sql: "SELECT EXISTS (SELECT 1 FROM legal_holds WHERE cleared_at IS NULL AND (\(conditions)))"),
            arguments: arguments) ?? false
    }

    // MARK: - Audit log

    func appendAudit(_ draft: AuditDraft) async throws -> UInt64 {
        try await write("recording an audit entry") { db in try Self.appendAudit(db, draft) }
    }

    func auditSize() async throws -> UInt64 {
        try read("reading the audit log") { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM audit_log") ?? 0)
        }
    }

    func auditEntries(after: UInt64, limit: Int) async throws -> [StoredAuditEntry] {
        try read("reading the audit log") { db in
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

    func insertCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await write("storing a checkpoint") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
                arguments: [Int64(checkpoint.size), Data(checkpoint.root), checkpoint.note, checkpoint.createdAt])
        }
    }

    func checkpoints() async throws -> [StoredCheckpoint] {
        try read("reading checkpoints") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY size").map { row in
                StoredCheckpoint(
                    size: UInt64(row["size"] as Int64), root: Array(row["root"] as Data), note: row["note"],
                    createdAt: row["created_at"])
            }
        }
    }

    @discardableResult
    static func appendAudit(_ db: Database, _ draft: AuditDraft) throws -> UInt64 {
        try AuditLogTable.append(db, draft)
    }

    // MARK: - Plumbing

    private static let memoryPlaceholders = databaseQuestionMarks(count: 18)

    private func read<T>(_ context: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw storageError(error, context)
        }
    }

    private func write<T: Sendable>(
        _ context: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw storageError(error, context)
        }
    }
}

extension SubjectRecord {
    init(row: Row) throws {
        self.init(
            id: try SubjectID(row["subject_id"]), pseudonym: row["pseudonym"],
            externalID: Array(row["external_id"] as Data), keyVersion: row["key_version"], createdAt: row["created_at"])
    }
}

extension CubeRecord {
    init(row: Row) throws {
        self.init(
            id: try CubeID(row["cube_id"]), subject: try (row["subject_id"] as String?).map(SubjectID.init),
            kind: row["kind"], defaultCategory: row["default_category"], schemaVersion: row["schema_version"],
            metadata: Array(row["metadata"] as Data), keyVersion: row["key_version"], createdAt: row["created_at"],
            updatedAt: row["updated_at"])
    }
}

extension MemoryRecord {
    /// Decodes a row selected with `TenantSchema.memoryColumns`, by position: name lookups cost a case-insensitive
    /// string comparison per column, which dominated the read path.
    init(row: Row) throws {
        func decode<T: RawRepresentable<String>>(_ index: Int, as type: T.Type) throws -> T {
            let raw: String = row[index]
            guard let value = T(rawValue: raw) else {
                throw MemVaultError(.storage, "unexpected \(T.self) '\(raw.prefix(32))' in the memories table")
            }
            return value
        }
        self.init(
            id: MemoryID(unchecked: row[0]), cube: CubeID(unchecked: row[1]),
            subject: try (row[2] as String?).map(SubjectID.init), version: row[3], supersedes: row[4],
            status: try decode(5, as: MemoryStatus.self), type: try decode(6, as: MemoryType.self), category: row[7],
            source: try decode(8, as: SourceKind.self), contentKind: try decode(9, as: ContentKind.self),
            contentSize: row[10], occurredAt: row[11], validFrom: row[12], validUntil: row[13], createdAt: row[14],
            updatedAt: row[15], keyVersion: row[16], payload: Array(row[17] as Data))
    }

    /// In `TenantSchema.memoryColumns` order.
    var arguments: StatementArguments {
        [
            id.rawValue, cube.rawValue, subject?.rawValue, version, supersedes, status.rawValue, type.rawValue,
            category, source.rawValue, contentKind.rawValue, contentSize, occurredAt, validFrom, validUntil,
            createdAt, updatedAt, keyVersion, Data(payload),
        ]
    }
}
