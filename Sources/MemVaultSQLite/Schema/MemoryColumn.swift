import Foundation
import GRDB
import MemVault

/// The columns of a memory version, shared by `memories` (current versions) and `memory_history` (superseded
/// ones): declared once, in the order rows are selected, inserted and decoded. Decoding is by position, because
/// name lookups cost a case-insensitive comparison per column and dominated the read path.
enum MemoryColumn: Int, CaseIterable {
    case memoryID, cubeID, subjectID, version, supersedes, status, type, category, source, contentKind, contentSize
    case occurredAt, validFrom, validUntil, createdAt, updatedAt, keyVersion, payload

    var name: String {
        switch self {
        case .memoryID: "memory_id"
        case .cubeID: "cube_id"
        case .subjectID: "subject_id"
        case .version: "version"
        case .supersedes: "supersedes"
        case .status: "status"
        case .type: "memory_type"
        case .category: "category"
        case .source: "source_kind"
        case .contentKind: "content_kind"
        case .contentSize: "content_size"
        case .occurredAt: "occurred_at"
        case .validFrom: "valid_from"
        case .validUntil: "valid_until"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        case .keyVersion: "key_version"
        case .payload: "payload"
        }
    }

    /// `memory_id, cube_id, …` for SELECT and INSERT.
    static let list = allCases.map(\.name).joined(separator: ", ")
    /// `?, ?, …` for INSERT.
    static let placeholders = databaseQuestionMarks(count: allCases.count)

    // Statements on the hot paths, spelled once (the statement cache is keyed by the SQL text).
    /// The current version and the newest version in the history, by memory id. Computed columns get short names:
    /// GRDB indexes a row's column names (lowercased) for every statement it reads.
    static let selectCurrent = """
        SELECT \(list), (SELECT MAX(version) FROM memory_history h WHERE h.memory_id = m.memory_id) AS s
        FROM memories m WHERE memory_id = ?
        """
    static let insertCurrent = "INSERT INTO memories (\(list)) VALUES (\(placeholders))"
    /// Every column of the current version, where it is still at the version given (?, ? after the columns).
    static let updateCurrent =
        "UPDATE memories SET (\(list)) = (\(placeholders)) WHERE memory_id = ? AND version = ?"
    static let insertSuperseded = "INSERT INTO memory_history (\(list)) VALUES (\(placeholders))"
    static let selectSuperseded = "SELECT \(list) FROM memory_history WHERE memory_id = ? AND version = ?"
    static let selectHistory = "SELECT \(list) FROM memory_history WHERE memory_id = ? ORDER BY version"
    /// The current version, its newest superseded version, its subject's consent for a purpose (?2) and the hold
    /// registry: what a decision on one memory needs, in one statement.
    static let selectGoverned = """
        SELECT \(allCases.map { "m.\($0.name)" }.joined(separator: ", ")),
               (SELECT MAX(version) FROM memory_history h WHERE h.memory_id = m.memory_id) AS s,
               c.state, c.changed_at, c.change_id, c.seal,
               (SELECT change_id FROM consent_history ch WHERE ch.subject_id = m.subject_id AND ch.purpose = ?2
                ORDER BY ch.rowid DESC LIMIT 1) AS l,
               r.generation, r.digest, r.seal, EXISTS (SELECT 1 FROM legal_holds) AS h
        FROM memories m
        LEFT JOIN consents c ON c.subject_id = m.subject_id AND c.purpose = ?2
        LEFT JOIN hold_registry r ON r.registry = 1
        WHERE m.memory_id = ?1
        """

    /// A row selected with `list`.
    static func record(_ row: Row) throws -> MemoryRecord {
        func decode<T: RawRepresentable<String>>(_ column: MemoryColumn, as type: T.Type) throws -> T {
            guard let value = T(rawValue: row[column.rawValue]) else { throw malformed("memory \(column.name)") }
            return value
        }
        let id: MemoryID
        let cube: CubeID
        let subject: SubjectID?
        do {
            // Ids are bound into the payload's envelope: a wrong one fails to open, so they are not parsed here.
            id = MemoryID(unchecked: row[MemoryColumn.memoryID.rawValue] as String)
            cube = CubeID(unchecked: row[MemoryColumn.cubeID.rawValue] as String)
            subject = try (row[MemoryColumn.subjectID.rawValue] as String?).map(SubjectID.init)
        } catch {
            throw malformed("memory id")
        }
        return MemoryRecord(
            id: id, cube: cube, subject: subject, version: row[MemoryColumn.version.rawValue],
            supersedes: row[MemoryColumn.supersedes.rawValue],
            fields: MemoryFields(
                status: try decode(.status, as: MemoryStatus.self), type: try decode(.type, as: MemoryType.self),
                category: row[MemoryColumn.category.rawValue], source: try decode(.source, as: SourceKind.self),
                contentKind: try decode(.contentKind, as: ContentKind.self),
                contentSize: row[MemoryColumn.contentSize.rawValue], occurredAt: row[MemoryColumn.occurredAt.rawValue],
                validFrom: row[MemoryColumn.validFrom.rawValue], validUntil: row[MemoryColumn.validUntil.rawValue],
                createdAt: row[MemoryColumn.createdAt.rawValue], updatedAt: row[MemoryColumn.updatedAt.rawValue]),
            keyVersion: row[MemoryColumn.keyVersion.rawValue],
            payload: Array(row[MemoryColumn.payload.rawValue] as Data))
    }

    /// A record's values in `list` order, converted without boxing each into an existential (an insert's
    /// arguments are built on the writer's thread, where every microsecond is shared by all writers).
    static func arguments(_ record: MemoryRecord) -> StatementArguments {
        var values: [DatabaseValue] = []
        values.reserveCapacity(allCases.count)
        for column in allCases { values.append(column.value(in: record)) }
        return StatementArguments(values)
    }

    private func value(in record: MemoryRecord) -> DatabaseValue {
        let fields = record.fields
        return switch self {
        case .memoryID: record.id.rawValue.databaseValue
        case .cubeID: record.cube.rawValue.databaseValue
        case .subjectID: record.subject?.rawValue.databaseValue ?? .null
        case .version: record.version.databaseValue
        case .supersedes: record.supersedes?.databaseValue ?? .null
        case .status: fields.status.rawValue.databaseValue
        case .type: fields.type.rawValue.databaseValue
        case .category: fields.category.databaseValue
        case .source: fields.source.rawValue.databaseValue
        case .contentKind: fields.contentKind.rawValue.databaseValue
        case .contentSize: fields.contentSize.databaseValue
        case .occurredAt: fields.occurredAt?.databaseValue ?? .null
        case .validFrom: fields.validFrom?.databaseValue ?? .null
        case .validUntil: fields.validUntil?.databaseValue ?? .null
        case .createdAt: fields.createdAt.databaseValue
        case .updatedAt: fields.updatedAt.databaseValue
        case .keyVersion: record.keyVersion.databaseValue
        case .payload: Data(record.payload).databaseValue
        }
    }
}
