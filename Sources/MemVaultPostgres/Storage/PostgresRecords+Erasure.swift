import MemVault
import PostgresNIO

extension PostgresRecords: ErasureRequestRecords {
    func insertErasureRequest(_ record: ErasureRequestRecord) throws {
        try execute(
            """
            INSERT INTO erasure_requests (request_id, subject_id, state, document, receipt, seal)
            VALUES (\(record.id), \(record.subject?.rawValue), \(record.state.rawValue), \(bytea(record.document)),
                    \(record.receipt.map(bytea)), \(bytea(record.seal)))
            """, "filing an erasure request")
    }

    func updateErasureRequest(_ record: ErasureRequestRecord) throws -> Bool {
        try execute(
            """
            UPDATE erasure_requests SET subject_id = \(record.subject?.rawValue), state = \(record.state.rawValue),
                document = \(bytea(record.document)), receipt = \(record.receipt.map(bytea)),
                seal = \(bytea(record.seal))
            WHERE request_id = \(record.id)
            """, "updating an erasure request") > 0
    }

    func erasureRequest(_ id: String) throws -> ErasureRequestRecord? {
        try row("SELECT * FROM erasure_requests WHERE request_id = \(id)", "reading an erasure request")
            .map(Self.erasureRequest)
    }

    func erasureRequests(after: String?, limit: Int) throws -> [ErasureRequestRecord] {
        try rows(
            "SELECT * FROM erasure_requests WHERE request_id > \(after ?? "") ORDER BY request_id LIMIT \(limit)",
            "listing erasure requests"
        ).map(Self.erasureRequest)
    }

    func openErasureRequest(subject: SubjectID) throws -> ErasureRequestRecord? {
        try row(
            """
            SELECT * FROM erasure_requests
            WHERE subject_id = \(subject.rawValue) AND state IN ('received', 'in-progress')
            """, "reading an erasure request"
        ).map(Self.erasureRequest)
    }

    private static func erasureRequest(_ row: Columns) throws -> ErasureRequestRecord {
        guard let state = ErasureRequest.State(rawValue: try row["state"]) else {
            throw malformed("erasure request state")
        }
        let subject: SubjectID?
        do {
            subject = try (try row["subject_id", as: String?.self]).map(SubjectID.init)
        } catch {
            throw malformed("erasure request subject")
        }
        return ErasureRequestRecord(
            id: try row["request_id"], subject: subject, state: state, document: try row.bytes("document"),
            receipt: try row.optionalBytes("receipt"), seal: try row.bytes("seal"))
    }
}

extension PostgresRecords: PublisherRecords {
    func trustedPublishers() throws -> [TrustedPublisherRecord] {
        try rows("SELECT * FROM trusted_publishers ORDER BY publisher_key", "reading trusted publishers").map { row in
            TrustedPublisherRecord(
                key: try row["publisher_key"], name: try row["name"], trustedBy: try row["trusted_by"],
                trustedAt: try row["trusted_at"], revokedAt: try row["revoked_at"], seal: try row.bytes("seal"))
        }
    }

    func saveTrustedPublisher(_ record: TrustedPublisherRecord) throws {
        try execute(
            """
            INSERT INTO trusted_publishers (publisher_key, name, trusted_by, trusted_at, revoked_at, seal)
            VALUES (\(record.key), \(record.name), \(record.trustedBy), \(record.trustedAt), \(record.revokedAt),
                    \(bytea(record.seal)))
            ON CONFLICT (publisher_key) DO UPDATE SET name = excluded.name, trusted_by = excluded.trusted_by,
                trusted_at = excluded.trusted_at, revoked_at = excluded.revoked_at, seal = excluded.seal
            """, "saving a trusted publisher")
    }
}
