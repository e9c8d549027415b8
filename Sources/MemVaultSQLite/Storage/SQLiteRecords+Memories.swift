import Foundation
import GRDB
import MemVault

extension SQLiteRecords: MemoryRecords {
    func insertMemories(_ records: [MemoryRecord]) throws {
        try run("adding memories") {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO memories (\(MemoryColumn.list)) VALUES (\(MemoryColumn.placeholders))")
            for record in records {
                try statement.execute(arguments: MemoryColumn.arguments(record))
            }
        }
    }

    func memory(_ id: MemoryID) throws -> MemoryRecord? {
        try run("reading a memory") {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(MemoryColumn.list) FROM memories WHERE memory_id = ?"),
                arguments: [id.rawValue]
            ).map(MemoryColumn.record)
        }
    }

    func memory(_ id: MemoryID, version: Int) throws -> MemoryVersion? {
        try run("reading a memory version") {
            if let current = try memory(id), current.version == version {
                return MemoryVersion(record: current, isCurrent: true)
            }
            return try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(MemoryColumn.list) FROM memory_history WHERE memory_id = ? AND version = ?"),
                arguments: [id.rawValue, version]
            ).map { MemoryVersion(record: try MemoryColumn.record($0), isCurrent: false) }
        }
    }

    func memories(
        _ scope: MemoryScope, statuses: Set<MemoryStatus>?, after: MemoryID?, limit: Int
    ) throws -> [MemoryRecord] {
        try run("listing memories") {
            let (column, value) =
                switch scope {
                case .cube(let cube): ("cube_id", cube.rawValue)
                case .subject(let subject): ("subject_id", subject.rawValue)
                }
            var arguments: StatementArguments = [value, after?.rawValue ?? ""]
            var statusCondition = ""
            if let statuses {
                let names = statuses.map(\.rawValue).sorted()
                statusCondition = " AND status IN (\(databaseQuestionMarks(count: names.count)))"
                arguments += StatementArguments(names)
            }
            arguments += [limit]
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(MemoryColumn.list) FROM memories
                        WHERE \(column) = ? AND memory_id > ?\(statusCondition) ORDER BY memory_id LIMIT ?
                        """),
                arguments: arguments
            ).map(MemoryColumn.record)
        }
    }

    func history(_ id: MemoryID) throws -> [MemoryVersion] {
        try run("reading a memory's history") {
            let superseded = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(MemoryColumn.list) FROM memory_history WHERE memory_id = ? ORDER BY version"),
                arguments: [id.rawValue]
            ).map { MemoryVersion(record: try MemoryColumn.record($0), isCurrent: false) }
            return superseded + (try memory(id).map { [MemoryVersion(record: $0, isCurrent: true)] } ?? [])
        }
    }

    func latestSupersededVersion(_ id: MemoryID) throws -> Int? {
        try run("reading a memory's history") {
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT MAX(version) FROM memory_history WHERE memory_id = ?"),
                arguments: [id.rawValue])
        }
    }

    func replaceCurrent(with next: MemoryRecord, superseded: MemoryRecord) throws -> Bool {
        try run("updating a memory") {
            try db.execute(
                sql: "DELETE FROM memories WHERE memory_id = ? AND version = ?",
                arguments: [superseded.id.rawValue, superseded.version])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(
                sql: "INSERT INTO memory_history (\(MemoryColumn.list)) VALUES (\(MemoryColumn.placeholders))"
            ).execute(arguments: MemoryColumn.arguments(superseded))
            try db.cachedStatement(
                sql: "INSERT INTO memories (\(MemoryColumn.list)) VALUES (\(MemoryColumn.placeholders))"
            ).execute(arguments: MemoryColumn.arguments(next))
            return true
        }
    }

    func updateCurrent(_ record: MemoryRecord) throws -> Bool {
        try run("changing a memory") {
            try db.execute(
                sql: "DELETE FROM memories WHERE memory_id = ? AND version = ?",
                arguments: [record.id.rawValue, record.version])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(
                sql: "INSERT INTO memories (\(MemoryColumn.list)) VALUES (\(MemoryColumn.placeholders))"
            ).execute(arguments: MemoryColumn.arguments(record))
            return true
        }
    }

    func deleteMemory(_ id: MemoryID) throws -> Bool {
        try run("deleting a memory") {
            try db.execute(sql: "DELETE FROM memory_history WHERE memory_id = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM memories WHERE memory_id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }
}
