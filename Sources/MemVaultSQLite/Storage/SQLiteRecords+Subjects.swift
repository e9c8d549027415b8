import Foundation
import GRDB
import MemVault

extension SQLiteRecords: SubjectRecords {
    func insertSubject(_ record: SubjectRecord) throws {
        try run("adding a subject") {
            try db.execute(
                sql: """
                    INSERT INTO subjects (subject_id, pseudonym, external_id, key_version, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id.rawValue, record.pseudonym, Data(record.externalID), record.keyVersion, record.createdAt,
                ])
        }
    }

    func deleteSubject(_ id: SubjectID) throws -> Int? {
        let consentRecords = try deleteConsent(subject: id)
        return try run("deleting a subject") {
            try db.execute(sql: "DELETE FROM subjects WHERE subject_id = ?", arguments: [id.rawValue])
            return db.changesCount > 0 ? consentRecords : nil
        }
    }

    func subject(pseudonym: String) throws -> SubjectRecord? {
        try run("reading a subject") {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM subjects WHERE pseudonym = ?"), arguments: [pseudonym]
            ).map(Self.subject)
        }
    }

    func subject(id: SubjectID) throws -> SubjectRecord? {
        try run("reading a subject") {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM subjects WHERE subject_id = ?"), arguments: [id.rawValue]
            ).map(Self.subject)
        }
    }

    private static func subject(_ row: Row) throws -> SubjectRecord {
        guard let id = try? SubjectID(row["subject_id"] as String) else { throw malformed("subject id") }
        return SubjectRecord(
            id: id, pseudonym: row["pseudonym"], externalID: Array(row["external_id"] as Data),
            keyVersion: row["key_version"], createdAt: row["created_at"])
    }
}
