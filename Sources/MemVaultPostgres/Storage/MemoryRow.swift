import MemVault
import PostgresNIO

/// The columns of a memory version, shared by `memories` (current versions) and `memory_history` (superseded
/// ones): declared once, in the order rows are selected, inserted and bound, as `MemoryColumn` does for SQLite.
enum MemoryRow {
    static let columns = [
        "memory_id", "cube_id", "subject_id", "version", "supersedes", "status", "memory_type", "category",
        "source_kind", "content_kind", "content_size", "occurred_at", "valid_from", "valid_until", "created_at",
        "updated_at", "key_version", "payload",
    ]
    /// `memory_id, cube_id, …` for SELECT and INSERT.
    static let list = columns.joined(separator: ", ")

    /// `$first, $first+1, …`: the placeholders of one record's values.
    static func placeholders(from first: Int) -> String {
        (first..<first + columns.count).map { "$\($0)" }.joined(separator: ", ")
    }

    /// INSERT of `records` into `table`, in one statement.
    static func insert(_ records: [MemoryRecord], into table: String) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: records.count * columns.count)
        var rows: [String] = []
        for (index, record) in records.enumerated() {
            rows.append("(\(placeholders(from: index * columns.count + 1)))")
            try bind(record, into: &binds)
        }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO \(table) (\(list)) VALUES \(rows.joined(separator: ", "))", binds: binds)
    }

    /// A record's values in `columns` order.
    static func bind(_ record: MemoryRecord, into binds: inout PostgresBindings) throws {
        let fields = record.fields
        binds.append(record.id.rawValue)
        binds.append(record.cube.rawValue)
        binds.append(record.subject?.rawValue)
        binds.append(Int32(record.version))
        binds.append(record.supersedes.map(Int32.init))
        binds.append(fields.status.rawValue)
        binds.append(fields.type.rawValue)
        binds.append(fields.category)
        binds.append(fields.source.rawValue)
        binds.append(fields.contentKind.rawValue)
        binds.append(Int64(fields.contentSize))
        binds.append(fields.occurredAt)
        binds.append(fields.validFrom)
        binds.append(fields.validUntil)
        binds.append(fields.createdAt)
        binds.append(fields.updatedAt)
        binds.append(Int64(record.keyVersion))
        binds.append(bytea(record.payload))
    }

    /// A key version column (BIGINT), which must fit the 32 bits key versions have.
    static func keyVersion(_ row: Columns, _ column: String = "key_version") throws -> UInt32 {
        guard let version = UInt32(exactly: try row[column, as: Int64.self]) else { throw malformed(column) }
        return version
    }

    /// A row selected with `list`.
    static func record(_ row: Columns) throws -> MemoryRecord {
        func decode<T: RawRepresentable<String>>(_ column: String, as type: T.Type) throws -> T {
            guard let value = T(rawValue: try row[column, as: String.self]) else { throw malformed("memory \(column)") }
            return value
        }
        let subject: SubjectID?
        do {
            subject = try (try row["subject_id", as: String?.self]).map(SubjectID.init)
        } catch {
            throw malformed("memory id")
        }
        // Ids are bound into the payload's envelope: a wrong one fails to open, so they are not parsed here.
        return MemoryRecord(
            id: MemoryID(unchecked: try row["memory_id"]), cube: CubeID(unchecked: try row["cube_id"]),
            subject: subject, version: Int(try row["version", as: Int32.self]),
            supersedes: (try row["supersedes", as: Int32?.self]).map(Int.init),
            fields: MemoryFields(
                status: try decode("status", as: MemoryStatus.self),
                type: try decode("memory_type", as: MemoryType.self),
                category: try row["category"], source: try decode("source_kind", as: SourceKind.self),
                contentKind: try decode("content_kind", as: ContentKind.self),
                contentSize: Int(try row["content_size", as: Int64.self]), occurredAt: try row["occurred_at"],
                validFrom: try row["valid_from"], validUntil: try row["valid_until"], createdAt: try row["created_at"],
                updatedAt: try row["updated_at"]),
            keyVersion: try keyVersion(row), payload: try row.bytes("payload"))
    }
}
