import MemVault
import MemVaultPolicy
import PostgresNIO

extension PostgresRecords: ConsentRecords {
    func consent(subject: SubjectID, purpose: String) throws -> ConsentLookup {
        // One statement on every decision's path: the current state (if any) and the newest change in the history,
        // in the order changes were recorded, not by their ids.
        let row = try row(
            """
            SELECT c.state, c.changed_at, c.change_id, c.seal,
                   (SELECT change_id FROM consent_history
                    WHERE subject_id = \(subject.rawValue) AND purpose = \(purpose)
                    ORDER BY recorded DESC LIMIT 1) AS latest
            FROM (SELECT 1) AS one
            LEFT JOIN consents c ON c.subject_id = \(subject.rawValue) AND c.purpose = \(purpose)
            """, "reading consent")
        guard let row else { return ConsentLookup(current: nil, latestChange: nil) }
        return try Self.consentLookup(row, subject: subject, purpose: purpose)
    }

    /// The consent columns of `consent` (and of `governedMemory`): state, changed_at, change_id, seal, latest.
    static func consentLookup(_ row: Columns, subject: SubjectID?, purpose: String) throws -> ConsentLookup {
        let latest = try row["latest", as: String?.self]
        guard let subject, let stateName = try row["state", as: String?.self] else {
            return ConsentLookup(current: nil, latestChange: latest)
        }
        guard let state = ConsentState(rawValue: stateName) else { throw malformed("consent state") }
        let current = ConsentStateRecord(
            subject: subject, purpose: purpose, state: state, changedAt: try row["changed_at", as: Int64?.self] ?? 0,
            changeID: try row["change_id", as: String?.self] ?? "", seal: try row.optionalBytes("seal") ?? [])
        return ConsentLookup(current: current, latestChange: latest)
    }

    func deleteConsent(subject: SubjectID) throws -> Int {
        let states = try execute("DELETE FROM consents WHERE subject_id = \(subject.rawValue)", "deleting consent")
        return states
            + (try execute("DELETE FROM consent_history WHERE subject_id = \(subject.rawValue)", "deleting consent"))
    }

    func recordConsent(_ change: ConsentChangeRecord, current: ConsentStateRecord) throws {
        try execute(
            """
            INSERT INTO consent_history (change_id, subject_id, purpose, state, changed_at, actor, evidence,
                                         key_version, previous, seal)
            VALUES (\(change.id), \(change.subject.rawValue), \(change.purpose), \(change.state.rawValue),
                    \(change.changedAt), \(change.actor), \(change.evidence.map(bytea)),
                    \(change.keyVersion.map(Int64.init)), \(change.previous), \(bytea(change.seal)))
            """, "recording consent")
        try execute(
            """
            INSERT INTO consents (subject_id, purpose, state, changed_at, change_id, seal)
            VALUES (\(current.subject.rawValue), \(current.purpose), \(current.state.rawValue), \(current.changedAt),
                    \(current.changeID), \(bytea(current.seal)))
            ON CONFLICT (subject_id, purpose) DO UPDATE SET state = excluded.state,
                changed_at = excluded.changed_at, change_id = excluded.change_id, seal = excluded.seal
            """, "recording consent")
    }

    func consentHistory(subject: SubjectID) throws -> [ConsentChangeRecord] {
        try rows(
            "SELECT * FROM consent_history WHERE subject_id = \(subject.rawValue) ORDER BY recorded",
            "reading consent history"
        ).map { row in
            guard let state = ConsentState(rawValue: try row["state"]) else { throw malformed("consent state") }
            return ConsentChangeRecord(
                id: try row["change_id"], subject: subject, purpose: try row["purpose"], state: state,
                changedAt: try row["changed_at"], actor: try row["actor"], evidence: try row.optionalBytes("evidence"),
                keyVersion: try (try row["key_version", as: Int64?.self]).map {
                    guard let version = UInt32(exactly: $0) else { throw malformed("key version") }
                    return version
                }, previous: try row["previous"], seal: try row.optionalBytes("seal") ?? [])
        }
    }
}

extension PostgresRecords: GovernedMemoryReader {
    func governedMemory(_ id: MemoryID, purpose: String) throws -> GovernedMemory? {
        // What a decision on one memory needs, in one statement: the current version, its newest superseded
        // version, its subject's consent for the purpose and the hold registry.
        let columns = MemoryRow.columns.map { "m.\($0)" }.joined(separator: ", ")
        guard
            let row = try row(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(columns),
                               (SELECT MAX(version) FROM memory_history h WHERE h.memory_id = m.memory_id) AS superseded,
                               c.state, c.changed_at, c.change_id, c.seal,
                               (SELECT change_id FROM consent_history ch WHERE ch.subject_id = m.subject_id
                                AND ch.purpose = $2 ORDER BY ch.recorded DESC LIMIT 1) AS latest,
                               r.generation, r.digest, r.seal AS registry_seal,
                               EXISTS (SELECT 1 FROM legal_holds) AS any_holds
                        FROM memories m
                        LEFT JOIN consents c ON c.subject_id = m.subject_id AND c.purpose = $2
                        LEFT JOIN hold_registry r ON r.registry = 1
                        WHERE m.memory_id = $1
                        """, binds: Self.binds(id.rawValue, purpose)), "reading a memory")
        else { return nil }
        let record = try MemoryRow.record(row)
        return GovernedMemory(
            current: record, latestSuperseded: (try row["superseded", as: Int32?.self]).map(Int.init),
            consent: try Self.consentLookup(row, subject: record.subject, purpose: purpose),
            holdRegistry: try Self.registry(row, seal: "registry_seal"), anyHolds: try row["any_holds"])
    }

    /// The hold registry's columns (generation, digest and the seal in `seal`), if there is one.
    static func registry(_ row: Columns, seal: String) throws -> HoldRegistryRecord? {
        guard let generation = try row["generation", as: Int64?.self] else { return nil }
        return HoldRegistryRecord(
            generation: UInt64(bitPattern: generation), digest: try row.optionalBytes("digest") ?? [],
            seal: try row.optionalBytes(seal) ?? [])
    }
}

extension PostgresRecords: HoldRecords {
    func holdRegistry() throws -> (registry: HoldRegistryRecord?, anyHolds: Bool) {
        guard
            let row = try row(
                """
                SELECT r.generation, r.digest, r.seal,
                       EXISTS (SELECT 1 FROM legal_holds) OR EXISTS (SELECT 1 FROM restrictions) AS any_holds
                FROM (SELECT 1) AS one LEFT JOIN hold_registry r ON r.registry = 1
                """, "reading the legal hold registry")
        else { return (nil, false) }
        return (try Self.registry(row, seal: "seal"), try row["any_holds"])
    }

    func saveHoldRegistry(_ registry: HoldRegistryRecord) throws {
        try execute(
            """
            INSERT INTO hold_registry (registry, generation, digest, seal)
            VALUES (1, \(Int64(bitPattern: registry.generation)), \(bytea(registry.digest)), \(bytea(registry.seal)))
            ON CONFLICT (registry) DO UPDATE SET generation = excluded.generation, digest = excluded.digest,
                seal = excluded.seal
            """, "writing the legal hold registry")
    }

    func holds(includeCleared: Bool) throws -> [LegalHoldRecord] {
        let query: PostgresQuery =
            includeCleared
            ? "SELECT * FROM legal_holds ORDER BY hold_id"
            : "SELECT * FROM legal_holds WHERE cleared_at IS NULL ORDER BY hold_id"
        return try rows(query, "listing legal holds").map(Self.hold)
    }

    func hold(_ id: String) throws -> LegalHoldRecord? {
        try row("SELECT * FROM legal_holds WHERE hold_id = \(id)", "reading a legal hold").map(Self.hold)
    }

    func insertHold(_ record: LegalHoldRecord) throws {
        try execute(
            """
            INSERT INTO legal_holds (hold_id, target_kind, target_id, reason, key_version, set_by, set_at,
                                     cleared_by, cleared_at, seal)
            VALUES (\(record.id), \(record.target.kind), \(record.target.id), \(bytea(record.reason)),
                    \(Int64(record.keyVersion)), \(record.setBy), \(record.setAt), \(record.clearedBy),
                    \(record.clearedAt), \(bytea(record.seal)))
            """, "setting a legal hold")
    }

    func updateHold(_ record: LegalHoldRecord) throws -> Bool {
        try execute(
            """
            UPDATE legal_holds SET cleared_by = \(record.clearedBy), cleared_at = \(record.clearedAt),
                seal = \(bytea(record.seal))
            WHERE hold_id = \(record.id)
            """, "clearing a legal hold") > 0
    }

    func deleteHold(_ id: String) throws {
        try execute("DELETE FROM legal_holds WHERE hold_id = \(id)", "removing a legal hold")
    }

    func restrictions(includeLifted: Bool) throws -> [RestrictionRecord] {
        let query: PostgresQuery =
            includeLifted
            ? "SELECT * FROM restrictions ORDER BY restriction_id"
            : "SELECT * FROM restrictions WHERE lifted_at IS NULL ORDER BY restriction_id"
        return try rows(query, "listing restrictions").map(Self.restriction)
    }

    func insertRestriction(_ record: RestrictionRecord) throws {
        try execute(
            """
            INSERT INTO restrictions (restriction_id, subject_id, categories, purposes, ground, request_id, set_by,
                                      set_at, lifted_by, lifted_at, seal)
            VALUES (\(record.id), \(record.subject.rawValue), \(record.categories.joined(separator: " ")),
                    \(record.purposes.joined(separator: " ")), \(record.ground), \(record.request), \(record.setBy),
                    \(record.setAt), \(record.liftedBy), \(record.liftedAt), \(bytea(record.seal)))
            """, "restricting processing")
    }

    func updateRestriction(_ record: RestrictionRecord) throws -> Bool {
        try execute(
            """
            UPDATE restrictions SET lifted_by = \(record.liftedBy), lifted_at = \(record.liftedAt),
                seal = \(bytea(record.seal))
            WHERE restriction_id = \(record.id)
            """, "lifting a restriction") > 0
    }

    func deleteRestriction(_ id: String) throws {
        try execute("DELETE FROM restrictions WHERE restriction_id = \(id)", "removing a restriction")
    }

    private static func restriction(_ row: Columns) throws -> RestrictionRecord {
        guard let subject = try? SubjectID(try row["subject_id", as: String.self]) else {
            throw malformed("restriction subject")
        }
        func words(_ column: String) throws -> [String] {
            (try row[column, as: String.self]).split(separator: " ").map(String.init)
        }
        return RestrictionRecord(
            id: try row["restriction_id"], subject: subject, categories: try words("categories"),
            purposes: try words("purposes"), ground: try row["ground"], request: try row["request_id"],
            setBy: try row["set_by"], setAt: try row["set_at"], liftedBy: try row["lifted_by"],
            liftedAt: try row["lifted_at"], seal: try row.bytes("seal"))
    }

    private static func hold(_ row: Columns) throws -> LegalHoldRecord {
        LegalHoldRecord(
            id: try row["hold_id"], target: try HoldTarget(kind: try row["target_kind"], id: try row["target_id"]),
            reason: try row.bytes("reason"), keyVersion: try MemoryRow.keyVersion(row), setBy: try row["set_by"],
            setAt: try row["set_at"], clearedBy: try row["cleared_by"], clearedAt: try row["cleared_at"],
            seal: try row.optionalBytes("seal") ?? [])
    }
}
