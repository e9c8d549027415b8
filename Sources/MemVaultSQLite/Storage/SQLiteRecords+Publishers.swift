import Foundation
import GRDB
import MemVault

extension SQLiteRecords: PublisherRecords {
    func trustedPublishers() throws -> [TrustedPublisherRecord] {
        try run("reading trusted publishers") {
            try Row.fetchAll(db, sql: "SELECT * FROM trusted_publishers ORDER BY publisher_key").map { row in
                TrustedPublisherRecord(
                    key: row["publisher_key"], name: row["name"], trustedBy: row["trusted_by"],
                    trustedAt: row["trusted_at"], revokedAt: row["revoked_at"], seal: Array(row["seal"] as Data))
            }
        }
    }

    func saveTrustedPublisher(_ record: TrustedPublisherRecord) throws {
        try run("saving a trusted publisher") {
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO trusted_publishers
                        (publisher_key, name, trusted_by, trusted_at, revoked_at, seal)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.key, record.name, record.trustedBy, record.trustedAt, record.revokedAt, Data(record.seal),
                ])
        }
    }
}
