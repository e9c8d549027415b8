import Foundation
import GRDB
import MemVault

extension SQLiteRecords: MemoryRecords {
    func insertMemories(_ records: [MemoryRecord]) throws {
        try run("adding memories") {
            let statement = try db.cachedStatement(sql: MemoryColumn.insertCurrent)
            for record in records {
                try statement.execute(arguments: MemoryColumn.arguments(record))
            }
            try db.cachedStatement(sql: "UPDATE tenant_usage SET memories = memories + ?, bytes = bytes + ?")
                .execute(arguments: [records.count, records.reduce(0) { $0 + $1.fields.contentSize }])
        }
    }

    func usage() throws -> TenantUsage {
        try run("reading the tenant's usage") {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT memories, bytes FROM tenant_usage"))
            else { throw malformed("tenant usage") }
            return TenantUsage(memories: row["memories"], bytes: row["bytes"])
        }
    }

    func memory(_ id: MemoryID) throws -> (current: MemoryRecord, latestSuperseded: Int?)? {
        try run("reading a memory") {
            // One statement for the hot path of every read: the row, and the newest version in the history.
            let cursor = try Row.fetchCursor(
                db.cachedStatement(sql: MemoryColumn.selectCurrent), arguments: [id.rawValue])
            guard let row = try cursor.next() else { return nil }
            return (try MemoryColumn.record(row), row[MemoryColumn.allCases.count])
        }
    }

    func memories(inCategory category: String, after: MemoryID?, limit: Int) throws -> [MemoryRecord] {
        try run("listing a category's memories") {
            // Walks the primary key in id (creation) order; a sweep reads only the old end of it.
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(MemoryColumn.list) FROM memories
                        WHERE memory_id > ? AND category = ? ORDER BY memory_id LIMIT ?
                        """), arguments: [after?.rawValue ?? "", category, limit]
            ).map(MemoryColumn.record)
        }
    }

    func memory(_ id: MemoryID, version: Int) throws -> MemoryVersion? {
        try run("reading a memory version") {
            if let current = try memory(id)?.current, current.version == version {
                return MemoryVersion(record: current, isCurrent: true)
            }
            return try Row.fetchOne(
                db.cachedStatement(sql: MemoryColumn.selectSuperseded), arguments: [id.rawValue, version]
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
                db.cachedStatement(sql: MemoryColumn.selectHistory), arguments: [id.rawValue]
            ).map { MemoryVersion(record: try MemoryColumn.record($0), isCurrent: false) }
            return superseded + (try memory(id).map { [MemoryVersion(record: $0.current, isCurrent: true)] } ?? [])
        }
    }

    func replaceCurrent(with next: MemoryRecord, superseded: MemoryRecord) throws -> Bool {
        try run("updating a memory") {
            try db.cachedStatement(sql: "DELETE FROM memories WHERE memory_id = ? AND version = ?")
                .execute(arguments: [superseded.id.rawValue, superseded.version])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: MemoryColumn.insertSuperseded)
                .execute(arguments: MemoryColumn.arguments(superseded))
            try db.cachedStatement(sql: MemoryColumn.insertCurrent).execute(arguments: MemoryColumn.arguments(next))
            // The delete counted the memory out; the new version counts it back in.
            try db.cachedStatement(sql: "UPDATE tenant_usage SET memories = memories + 1, bytes = bytes + ?")
                .execute(arguments: [next.fields.contentSize])
            return true
        }
    }

    func updateCurrent(_ record: MemoryRecord) throws -> Bool {
        try run("changing a memory") {
            // In place, not deleted and inserted: deleting a memory removes its search index entry.
            try db.cachedStatement(sql: MemoryColumn.updateCurrent)
                .execute(arguments: MemoryColumn.arguments(record) + [record.id.rawValue, record.version])
            return db.changesCount > 0
        }
    }

    func deleteMemories(_ ids: [MemoryID]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try run("deleting memories") {
            // The ids travel as one JSON array: one statement per table, whatever the batch size.
            let list = String(decoding: try JSONEncoder().encode(ids.map(\.rawValue)), as: UTF8.self)
            try db.cachedStatement(
                sql: "DELETE FROM memory_history WHERE memory_id IN (SELECT value FROM json_each(?))"
            ).execute(arguments: [list])
            try db.cachedStatement(sql: "DELETE FROM memories WHERE memory_id IN (SELECT value FROM json_each(?))")
                .execute(arguments: [list])
            return db.changesCount
        }
    }

    func deleteMemory(_ id: MemoryID) throws -> Bool {
        try run("deleting a memory") {
            // Prepared once: a DELETE on `memories` compiles its triggers too, which cost more than running it.
            try db.cachedStatement(sql: "DELETE FROM memory_history WHERE memory_id = ?")
                .execute(arguments: [id.rawValue])
            try db.cachedStatement(sql: "DELETE FROM memories WHERE memory_id = ?").execute(arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }
}
