import Foundation
import GRDB
import MemVault

extension SQLiteRecords: ErasureRequestRecords {
    func insertErasureRequest(_ record: ErasureRequestRecord) throws {
        try run("filing an erasure request") {
            try db.execute(
                sql: """
                    INSERT INTO erasure_requests (request_id, subject_id, state, document, receipt, seal)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: Self.arguments(record))
        }
    }

    func updateErasureRequest(_ record: ErasureRequestRecord) throws -> Bool {
        try run("updating an erasure request") {
            try db.execute(
                sql: """
                    UPDATE erasure_requests SET subject_id = ?2, state = ?3, document = ?4, receipt = ?5, seal = ?6
                    WHERE request_id = ?1
                    """,
                arguments: Self.arguments(record))
            return db.changesCount > 0
        }
    }

    func erasureRequest(_ id: String) throws -> ErasureRequestRecord? {
        try run("reading an erasure request") {
            try Row.fetchOne(db, sql: "SELECT * FROM erasure_requests WHERE request_id = ?", arguments: [id])
                .map(Self.erasureRequest)
        }
    }

    func erasureRequests(after: String?, limit: Int) throws -> [ErasureRequestRecord] {
        try run("listing erasure requests") {
            try Row.fetchAll(
                db, sql: "SELECT * FROM erasure_requests WHERE request_id > ? ORDER BY request_id LIMIT ?",
                arguments: [after ?? "", limit]
            ).map(Self.erasureRequest)
        }
    }

    func openErasureRequest(subject: SubjectID) throws -> ErasureRequestRecord? {
        try run("reading an erasure request") {
            try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM erasure_requests
                    WHERE subject_id = ? AND state IN ('received', 'in-progress')
                    """,
                arguments: [subject.rawValue]
            ).map(Self.erasureRequest)
        }
    }

    private static func arguments(_ record: ErasureRequestRecord) -> StatementArguments {
        [
            record.id, record.subject?.rawValue, record.state.rawValue, Data(record.document),
            record.receipt.map { Data($0) }, Data(record.seal),
        ]
    }

    private static func erasureRequest(_ row: Row) throws -> ErasureRequestRecord {
        guard let state = ErasureRequest.State(rawValue: row["state"]) else { throw malformed("erasure request state") }
        let subject: SubjectID?
        do {
            subject = try (row["subject_id"] as String?).map(SubjectID.init)
        } catch {
            throw malformed("erasure request subject")
        }
        return ErasureRequestRecord(
            id: row["request_id"], subject: subject, state: state, document: Array(row["document"] as Data),
            receipt: (row["receipt"] as Data?).map(Array.init), seal: Array(row["seal"] as Data))
    }
}
