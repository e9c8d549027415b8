import Foundation
import GRDB
import MemVault

extension SQLiteRecords: CubeRecords {
    func insertCube(_ record: CubeRecord) throws {
        try run("creating a cube") {
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
        }
    }

    func cube(_ id: CubeID) throws -> CubeRecord? {
        try run("reading a cube") {
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM cubes WHERE cube_id = ?"), arguments: [id.rawValue])
                .map(Self.cube)
        }
    }

    func cubes(_ filter: CubeFilter, after: CubeID?, limit: Int) throws -> [CubeRecord] {
        try run("listing cubes") {
            let (condition, arguments): (String, StatementArguments) =
                switch filter {
                case .all: ("", [])
                case .shared: (" AND subject_id IS NULL", [])
                case .subject(let subject): (" AND subject_id = ?", [subject.rawValue])
                }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM cubes WHERE cube_id > ?\(condition) ORDER BY cube_id LIMIT ?",
                arguments: [after?.rawValue ?? ""] + arguments + [limit]
            ).map(Self.cube)
        }
    }

    func deleteCube(_ id: CubeID) throws -> Bool {
        try run("deleting a cube") {
            try db.execute(
                sql: """
                    DELETE FROM memory_history WHERE memory_id IN (SELECT memory_id FROM memories WHERE cube_id = ?);
                    DELETE FROM memories WHERE cube_id = ?;
                    """,
                arguments: [id.rawValue, id.rawValue])
            try db.execute(sql: "DELETE FROM cubes WHERE cube_id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    private static func cube(_ row: Row) throws -> CubeRecord {
        let id: CubeID
        let subject: SubjectID?
        do {
            id = try CubeID(row["cube_id"] as String)
            subject = try (row["subject_id"] as String?).map(SubjectID.init)
        } catch {
            throw malformed("cube id")
        }
        return CubeRecord(
            id: id, subject: subject, kind: row["kind"], defaultCategory: row["default_category"],
            schemaVersion: row["schema_version"], metadata: Array(row["metadata"] as Data),
            keyVersion: row["key_version"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
