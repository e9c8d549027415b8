import MemVault
import PostgresNIO

extension PostgresRecords: SubjectRecords {
    func insertSubject(_ record: SubjectRecord) throws {
        try execute(
            """
            INSERT INTO subjects (subject_id, pseudonym, external_id, key_version, created_at)
            VALUES (\(record.id.rawValue), \(record.pseudonym), \(bytea(record.externalID)),
                    \(Int64(record.keyVersion)), \(record.createdAt))
            """, "adding a subject")
    }

    func deleteSubject(_ id: SubjectID) throws -> Int? {
        let consentRecords = try deleteConsent(subject: id)
        let deleted = try execute("DELETE FROM subjects WHERE subject_id = \(id.rawValue)", "deleting a subject")
        return deleted > 0 ? consentRecords : nil
    }

    func subject(pseudonym: String) throws -> SubjectRecord? {
        try row("SELECT * FROM subjects WHERE pseudonym = \(pseudonym)", "reading a subject").map(Self.subject)
    }

    func subject(id: SubjectID) throws -> SubjectRecord? {
        try row("SELECT * FROM subjects WHERE subject_id = \(id.rawValue)", "reading a subject").map(Self.subject)
    }

    private static func subject(_ row: Columns) throws -> SubjectRecord {
        guard let id = try? SubjectID(try row["subject_id", as: String.self]) else { throw malformed("subject id") }
        return SubjectRecord(
            id: id, pseudonym: try row["pseudonym"], externalID: try row.bytes("external_id"),
            keyVersion: try MemoryRow.keyVersion(row), createdAt: try row["created_at"])
    }
}

extension PostgresRecords: CubeRecords {
    func insertCube(_ record: CubeRecord) throws {
        try execute(
            """
            INSERT INTO cubes (cube_id, subject_id, kind, default_category, schema_version, metadata, key_version,
                               created_at, updated_at)
            VALUES (\(record.id.rawValue), \(record.subject?.rawValue), \(record.kind), \(record.defaultCategory),
                    \(Int32(record.schemaVersion)), \(bytea(record.metadata)), \(Int64(record.keyVersion)),
                    \(record.createdAt), \(record.updatedAt))
            """, "creating a cube")
    }

    func cube(_ id: CubeID) throws -> CubeRecord? {
        try row("SELECT * FROM cubes WHERE cube_id = \(id.rawValue)", "reading a cube").map(Self.cube)
    }

    func cubes(_ filter: CubeFilter, after: CubeID?, limit: Int) throws -> [CubeRecord] {
        let after = after?.rawValue ?? ""
        let query: PostgresQuery =
            switch filter {
            case .all: "SELECT * FROM cubes WHERE cube_id > \(after) ORDER BY cube_id LIMIT \(limit)"
            case .shared:
                "SELECT * FROM cubes WHERE cube_id > \(after) AND subject_id IS NULL ORDER BY cube_id LIMIT \(limit)"
            case .subject(let subject):
                """
                SELECT * FROM cubes WHERE cube_id > \(after) AND subject_id = \(subject.rawValue)
                ORDER BY cube_id LIMIT \(limit)
                """
            }
        return try rows(query, "listing cubes").map(Self.cube)
    }

    func deleteCube(_ id: CubeID) throws -> Bool {
        try execute(
            """
            DELETE FROM memory_history WHERE memory_id IN (SELECT memory_id FROM memories WHERE cube_id = \(id.rawValue))
            """, "deleting a cube")
        try execute("DELETE FROM memories WHERE cube_id = \(id.rawValue)", "deleting a cube")
        return try execute("DELETE FROM cubes WHERE cube_id = \(id.rawValue)", "deleting a cube") > 0
    }

    private static func cube(_ row: Columns) throws -> CubeRecord {
        let id: CubeID
        let subject: SubjectID?
        do {
            id = try CubeID(try row["cube_id", as: String.self])
            subject = try (try row["subject_id", as: String?.self]).map(SubjectID.init)
        } catch {
            throw malformed("cube id")
        }
        return CubeRecord(
            id: id, subject: subject, kind: try row["kind"], defaultCategory: try row["default_category"],
            schemaVersion: Int(try row["schema_version", as: Int32.self]), metadata: try row.bytes("metadata"),
            keyVersion: try MemoryRow.keyVersion(row), createdAt: try row["created_at"],
            updatedAt: try row["updated_at"])
    }
}
