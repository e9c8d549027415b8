import Foundation
import GRDB
import MemVault
import MemVaultPolicy

extension SQLiteRecords: ConsentRecords {
    func consent(subject: SubjectID, purpose: String) throws -> ConsentLookup {
        let key = GovernanceReads.ConsentKey(subject: subject, purpose: purpose)
        if let known = transaction?.governance.consents[key] { return known }
        let lookup = try readConsent(subject: subject, purpose: purpose)
        transaction?.governance.consents[key] = lookup
        return lookup
    }

    private func readConsent(subject: SubjectID, purpose: String) throws -> ConsentLookup {
        try run("reading consent") {
            // One statement on every decision's path: the current state (if any) and the newest change in the
            // history, ordered by when changes were recorded (rowid), not by their ids.
            let cursor = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT c.state, c.changed_at, c.change_id, c.seal,
                               (SELECT change_id FROM consent_history
                                WHERE subject_id = ?1 AND purpose = ?2 ORDER BY rowid DESC LIMIT 1) AS l
                        FROM (SELECT 1) LEFT JOIN consents c ON c.subject_id = ?1 AND c.purpose = ?2
                        """),
                arguments: [subject.rawValue, purpose])
            guard let row = try cursor.next() else { return ConsentLookup(current: nil, latestChange: nil) }
            let latest: String? = row[4]
            guard let stateName = row[0] as String? else { return ConsentLookup(current: nil, latestChange: latest) }
            guard let state = ConsentState(rawValue: stateName) else { throw malformed("consent state") }
            let current = ConsentStateRecord(
                subject: subject, purpose: purpose, state: state, changedAt: row[1], changeID: row[2] ?? "",
                seal: (row[3] as Data?).map(Array.init) ?? [])
            return ConsentLookup(current: current, latestChange: latest)
        }
    }

    func deleteConsent(subject: SubjectID) throws -> Int {
        transaction?.governance.consents = [:]
        return try run("deleting consent records") {
            try db.execute(sql: "DELETE FROM consents WHERE subject_id = ?", arguments: [subject.rawValue])
            let states = db.changesCount
            try db.execute(sql: "DELETE FROM consent_history WHERE subject_id = ?", arguments: [subject.rawValue])
            return states + db.changesCount
        }
    }

    func recordConsent(_ change: ConsentChangeRecord, current: ConsentStateRecord) throws {
        transaction?.governance.consents.removeValue(
            forKey: GovernanceReads.ConsentKey(subject: current.subject, purpose: current.purpose))
        try run("recording consent") {
            try db.execute(
                sql: """
                    INSERT INTO consent_history (change_id, subject_id, purpose, state, changed_at, actor, evidence,
                                                 key_version, previous, seal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    change.id, change.subject.rawValue, change.purpose, change.state.rawValue, change.changedAt,
                    change.actor, change.evidence.map { Data($0) }, change.keyVersion, change.previous,
                    Data(change.seal),
                ])
            try db.execute(
                sql: """
                    INSERT INTO consents (subject_id, purpose, state, changed_at, change_id, seal)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (subject_id, purpose) DO UPDATE SET state = excluded.state,
                        changed_at = excluded.changed_at, change_id = excluded.change_id, seal = excluded.seal
                    """,
                arguments: [
                    current.subject.rawValue, current.purpose, current.state.rawValue, current.changedAt,
                    current.changeID, Data(current.seal),
                ])
        }
    }

    func consentHistory(subject: SubjectID) throws -> [ConsentChangeRecord] {
        try run("reading consent history") {
            try Row.fetchAll(
                db, sql: "SELECT * FROM consent_history WHERE subject_id = ? ORDER BY rowid",
                arguments: [subject.rawValue]
            ).map { row in
                guard let state = ConsentState(rawValue: row["state"]) else { throw malformed("consent state") }
                return ConsentChangeRecord(
                    id: row["change_id"], subject: subject, purpose: row["purpose"], state: state,
                    changedAt: row["changed_at"], actor: row["actor"],
                    evidence: (row["evidence"] as Data?).map(Array.init), keyVersion: row["key_version"],
                    previous: row["previous"], seal: (row["seal"] as Data?).map(Array.init) ?? [])
            }
        }
    }
}

extension SQLiteRecords: GovernedMemoryReader {
    func governedMemory(_ id: MemoryID, purpose: String) throws -> GovernedMemory? {
        try run("reading a memory") {
            let cursor = try Row.fetchCursor(
                db.cachedStatement(sql: MemoryColumn.selectGoverned), arguments: [id.rawValue, purpose])
            guard let row = try cursor.next() else { return nil }
            let record = try MemoryColumn.record(row)
            var column = MemoryColumn.allCases.count
            func next<T: DatabaseValueConvertible>(_: T.Type = T.self) -> T? {
                defer { column += 1 }
                return row[column]
            }
            let latestSuperseded: Int? = next()
            let state: String? = next()
            let changedAt: Int64? = next()
            let changeID: String? = next()
            let seal: Data? = next()
            let latestChange: String? = next()
            let generation: Int64? = next()
            let digest: Data? = next()
            let registrySeal: Data? = next()
            let anyHolds: Bool = next() ?? false
            var current: ConsentStateRecord?
            if let subject = record.subject, let state {
                guard let consentState = ConsentState(rawValue: state) else { throw malformed("consent state") }
                current = ConsentStateRecord(
                    subject: subject, purpose: purpose, state: consentState, changedAt: changedAt ?? 0,
                    changeID: changeID ?? "", seal: seal.map(Array.init) ?? [])
            }
            return GovernedMemory(
                current: record, latestSuperseded: latestSuperseded,
                consent: ConsentLookup(current: current, latestChange: latestChange),
                holdRegistry: generation.map {
                    HoldRegistryRecord(
                        generation: UInt64($0), digest: digest.map(Array.init) ?? [],
                        seal: registrySeal.map(Array.init) ?? [])
                },
                anyHolds: anyHolds)
        }
    }
}

extension SQLiteRecords: HoldRecords {
    func holdRegistry() throws -> (registry: HoldRegistryRecord?, anyHolds: Bool) {
        if let known = transaction?.governance.holdRegistry { return known }
        let read = try readHoldRegistry()
        transaction?.governance.holdRegistry = read
        return read
    }

    private func readHoldRegistry() throws -> (registry: HoldRegistryRecord?, anyHolds: Bool) {
        try run("reading the legal hold registry") {
            let cursor = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT r.generation, r.digest, r.seal,
                               EXISTS (SELECT 1 FROM legal_holds) OR EXISTS (SELECT 1 FROM restrictions) AS h
                        FROM (SELECT 1) LEFT JOIN hold_registry r ON r.registry = 1
                        """))
            guard let row = try cursor.next() else { return (nil, false) }
            let anyHolds: Bool = row[3]
            guard let generation = row[0] as Int64? else { return (nil, anyHolds) }
            return (
                HoldRegistryRecord(
                    generation: UInt64(generation), digest: Array(row[1] as Data), seal: Array(row[2] as Data)),
                anyHolds
            )
        }
    }

    func saveHoldRegistry(_ registry: HoldRegistryRecord) throws {
        transaction?.governance.holdRegistry = nil
        try run("writing the legal hold registry") {
            try db.execute(
                sql: "INSERT OR REPLACE INTO hold_registry (registry, generation, digest, seal) VALUES (1, ?, ?, ?)",
                arguments: [Int64(registry.generation), Data(registry.digest), Data(registry.seal)])
        }
    }

    func holds(includeCleared: Bool) throws -> [LegalHoldRecord] {
        try run("listing legal holds") {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM legal_holds" + (includeCleared ? "" : " WHERE cleared_at IS NULL")
                        + " ORDER BY hold_id")
            ).map(Self.hold)
        }
    }

    func hold(_ id: String) throws -> LegalHoldRecord? {
        try run("reading a legal hold") {
            try Row.fetchOne(db, sql: "SELECT * FROM legal_holds WHERE hold_id = ?", arguments: [id]).map(Self.hold)
        }
    }

    func insertHold(_ record: LegalHoldRecord) throws {
        transaction?.governance.holdRegistry = nil
        try run("setting a legal hold") {
            try db.execute(
                sql: """
                    INSERT INTO legal_holds (hold_id, target_kind, target_id, reason, key_version, set_by, set_at,
                                             cleared_by, cleared_at, seal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: Self.arguments(record))
        }
    }

    func updateHold(_ record: LegalHoldRecord) throws -> Bool {
        transaction?.governance.holdRegistry = nil
        return try run("clearing a legal hold") {
            try db.execute(
                sql: """
                    UPDATE legal_holds SET cleared_by = ?, cleared_at = ?, seal = ? WHERE hold_id = ?
                    """,
                arguments: [record.clearedBy, record.clearedAt, Data(record.seal), record.id])
            return db.changesCount > 0
        }
    }

    func deleteHold(_ id: String) throws {
        transaction?.governance.holdRegistry = nil
        try run("removing a legal hold") {
            try db.execute(sql: "DELETE FROM legal_holds WHERE hold_id = ?", arguments: [id])
        }
    }

    func restrictions(includeLifted: Bool) throws -> [RestrictionRecord] {
        try run("listing restrictions") {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM restrictions" + (includeLifted ? "" : " WHERE lifted_at IS NULL")
                        + " ORDER BY restriction_id")
            ).map(Self.restriction)
        }
    }

    func insertRestriction(_ record: RestrictionRecord) throws {
        transaction?.governance.holdRegistry = nil
        try run("restricting processing") {
            try db.execute(
                sql: """
                    INSERT INTO restrictions (restriction_id, subject_id, categories, purposes, ground, request_id,
                                              set_by, set_at, lifted_by, lifted_at, seal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.subject.rawValue, record.categories.joined(separator: " "),
                    record.purposes.joined(separator: " "), record.ground, record.request, record.setBy,
                    record.setAt, record.liftedBy, record.liftedAt, Data(record.seal),
                ])
        }
    }

    func updateRestriction(_ record: RestrictionRecord) throws -> Bool {
        transaction?.governance.holdRegistry = nil
        return try run("lifting a restriction") {
            try db.execute(
                sql: "UPDATE restrictions SET lifted_by = ?, lifted_at = ?, seal = ? WHERE restriction_id = ?",
                arguments: [record.liftedBy, record.liftedAt, Data(record.seal), record.id])
            return db.changesCount > 0
        }
    }

    func deleteRestriction(_ id: String) throws {
        transaction?.governance.holdRegistry = nil
        try run("removing a restriction") {
            try db.execute(sql: "DELETE FROM restrictions WHERE restriction_id = ?", arguments: [id])
        }
    }

    private static func restriction(_ row: Row) throws -> RestrictionRecord {
        guard let subject = try? SubjectID(row["subject_id"] as String) else { throw malformed("restriction subject") }
        func words(_ column: String) -> [String] {
            (row[column] as String).split(separator: " ").map(String.init)
        }
        return RestrictionRecord(
            id: row["restriction_id"], subject: subject, categories: words("categories"), purposes: words("purposes"),
            ground: row["ground"], request: row["request_id"], setBy: row["set_by"], setAt: row["set_at"],
            liftedBy: row["lifted_by"], liftedAt: row["lifted_at"], seal: Array(row["seal"] as Data))
    }

    private static func arguments(_ record: LegalHoldRecord) -> StatementArguments {
        [
            record.id, record.target.kind, record.target.id, Data(record.reason), record.keyVersion, record.setBy,
            record.setAt, record.clearedBy, record.clearedAt, Data(record.seal),
        ]
    }

    private static func hold(_ row: Row) throws -> LegalHoldRecord {
        LegalHoldRecord(
            id: row["hold_id"], target: try HoldTarget(kind: row["target_kind"], id: row["target_id"]),
            reason: Array(row["reason"] as Data), keyVersion: row["key_version"], setBy: row["set_by"],
            setAt: row["set_at"], clearedBy: row["cleared_by"], clearedAt: row["cleared_at"],
            seal: (row["seal"] as Data?).map(Array.init) ?? [])
    }
}

extension SQLiteRecords: TenantEntryRecords {
    func tenantEntries() throws -> [TenantEntryRecord] {
        try run("reading the catalog") {
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY tenant_id").map(Self.entry)
        }
    }

    func tenantEntry(_ tenant: TenantID) throws -> TenantEntryRecord? {
        try run("reading the catalog") {
            // Read by every authenticated request: prepared once.
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM tenants WHERE tenant_id = ?"), arguments: [tenant.rawValue]
            ).map(Self.entry)
        }
    }

    func saveTenantEntry(_ entry: TenantEntryRecord) throws {
        try run("writing the catalog") {
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO tenants
                        (tenant_id, state, created_at, policy, has_holds, checkpoint, quotas, seal)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.tenant.rawValue, entry.state.rawValue, entry.createdAt, entry.policy, entry.hasHolds,
                    entry.checkpoint, entry.quotas.isUnlimited ? nil : entry.quotas.canonical, Data(entry.seal),
                ])
        }
    }

    func deleteTenantEntry(_ tenant: TenantID) throws {
        try run("writing the catalog") {
            try db.execute(sql: "DELETE FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
        }
    }

    private static func entry(_ row: Row) throws -> TenantEntryRecord {
        guard let tenant = try? TenantID(row["tenant_id"] as String), let state = TenantState(rawValue: row["state"])
        else { throw malformed("catalog entry") }
        let quotas = try (row["quotas"] as String?).map { text in
            guard let quotas = TenantQuotas(canonical: text) else { throw malformed("catalog entry's quotas") }
            return quotas
        }
        return TenantEntryRecord(
            tenant: tenant, state: state, policy: row["policy"], createdAt: row["created_at"],
            hasHolds: row["has_holds"], checkpoint: row["checkpoint"], quotas: quotas ?? .unlimited,
            seal: (row["seal"] as Data?).map(Array.init) ?? [])
    }
}
