import MemVault
import PostgresNIO

extension PostgresRecords: MemoryRecords {
    /// Rows per INSERT: well under the 65,535 parameters a statement takes.
    static let insertChunk = 500

    func insertMemories(_ records: [MemoryRecord]) throws {
        guard !records.isEmpty else { return }
        for start in stride(from: 0, to: records.count, by: Self.insertChunk) {
            let chunk = Array(records[start..<min(start + Self.insertChunk, records.count)])
            try execute(try MemoryRow.insert(chunk, into: "memories"), "adding memories")
        }
        let bytes = Int64(records.reduce(0) { $0 + $1.fields.contentSize })
        try execute(
            "UPDATE tenant_usage SET memories = memories + \(Int64(records.count)), bytes = bytes + \(bytes)",
            "adding memories")
    }

    func usage() throws -> TenantUsage {
        guard let row = try row("SELECT memories, bytes FROM tenant_usage", "reading the tenant's usage") else {
            throw malformed("tenant usage")
        }
        return TenantUsage(
            memories: Int(try row["memories", as: Int64.self]), bytes: Int(try row["bytes", as: Int64.self]))
    }

    func memory(_ id: MemoryID) throws -> (current: MemoryRecord, latestSuperseded: Int?)? {
        // One statement for the hot path of every read: the row, and the newest version in the history.
        guard
            let row = try row(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(MemoryRow.list),
                               (SELECT MAX(version) FROM memory_history h WHERE h.memory_id = m.memory_id) AS latest
                        FROM memories m WHERE memory_id = $1
                        """, binds: Self.binds(id.rawValue)), "reading a memory")
        else { return nil }
        return (try MemoryRow.record(row), (try row["latest", as: Int32?.self]).map(Int.init))
    }

    func memories(inCategory category: String, after: MemoryID?, limit: Int) throws -> [MemoryRecord] {
        try rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(MemoryRow.list) FROM memories
                    WHERE memory_id > $1 AND category = $2 ORDER BY memory_id LIMIT $3
                    """, binds: Self.binds(after?.rawValue ?? "", category, limit)),
            "listing a category's memories"
        ).map(MemoryRow.record)
    }

    func memory(_ id: MemoryID, version: Int) throws -> MemoryVersion? {
        if let current = try memory(id)?.current, current.version == version {
            return MemoryVersion(record: current, isCurrent: true)
        }
        var binds = Self.binds(id.rawValue)
        binds.append(Int32(clamping: version))
        return try row(
            PostgresQuery(
                unsafeSQL: "SELECT \(MemoryRow.list) FROM memory_history WHERE memory_id = $1 AND version = $2",
                binds: binds), "reading a memory version"
        ).map { MemoryVersion(record: try MemoryRow.record($0), isCurrent: false) }
    }

    func memories(
        _ scope: MemoryScope, statuses: Set<MemoryStatus>?, after: MemoryID?, limit: Int
    ) throws -> [MemoryRecord] {
        let (column, value) =
            switch scope {
            case .cube(let cube): ("cube_id", cube.rawValue)
            case .subject(let subject): ("subject_id", subject.rawValue)
            }
        var binds = Self.binds(value, after?.rawValue ?? "", limit)
        var statusCondition = ""
        if let statuses {
            binds.append(statuses.map(\.rawValue).sorted())
            statusCondition = " AND status = ANY($4)"
        }
        return try rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(MemoryRow.list) FROM memories
                    WHERE \(column) = $1 AND memory_id > $2\(statusCondition) ORDER BY memory_id LIMIT $3
                    """, binds: binds), "listing memories"
        ).map(MemoryRow.record)
    }

    func history(_ id: MemoryID) throws -> [MemoryVersion] {
        let superseded = try rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(MemoryRow.list) FROM memory_history WHERE memory_id = $1 ORDER BY version",
                binds: Self.binds(id.rawValue)), "reading a memory's history"
        ).map { MemoryVersion(record: try MemoryRow.record($0), isCurrent: false) }
        return superseded + (try memory(id).map { [MemoryVersion(record: $0.current, isCurrent: true)] } ?? [])
    }

    func replaceCurrent(with next: MemoryRecord, superseded: MemoryRecord) throws -> Bool {
        let deleted = try execute(
            """
            DELETE FROM memories WHERE memory_id = \(superseded.id.rawValue)
                AND version = \(Int32(clamping: superseded.version))
            """, "updating a memory")
        guard deleted > 0 else { return false }
        try execute(try MemoryRow.insert([superseded], into: "memory_history"), "updating a memory")
        try execute(try MemoryRow.insert([next], into: "memories"), "updating a memory")
        // The delete counted the memory out; the new version counts it back in.
        try execute(
            "UPDATE tenant_usage SET memories = memories + 1, bytes = bytes + \(Int64(next.fields.contentSize))",
            "updating a memory")
        return true
    }

    func updateCurrent(_ record: MemoryRecord) throws -> Bool {
        // In place, not deleted and inserted: deleting a memory removes its search index entry.
        var binds = PostgresBindings()
        try MemoryRow.bind(record, into: &binds)
        binds.append(record.id.rawValue)
        binds.append(Int32(clamping: record.version))
        let count = MemoryRow.columns.count
        return try execute(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE memories SET (\(MemoryRow.list)) = (\(MemoryRow.placeholders(from: 1)))
                    WHERE memory_id = $\(count + 1) AND version = $\(count + 2)
                    """, binds: binds), "changing a memory") > 0
    }

    func deleteMemories(_ ids: [MemoryID]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        // The ids travel as one array: one statement per table, whatever the batch size.
        let list = ids.map(\.rawValue)
        try execute("DELETE FROM memory_history WHERE memory_id = ANY(\(list))", "deleting memories")
        return try execute("DELETE FROM memories WHERE memory_id = ANY(\(list))", "deleting memories")
    }

    func deleteMemory(_ id: MemoryID) throws -> Bool {
        try execute("DELETE FROM memory_history WHERE memory_id = \(id.rawValue)", "deleting a memory")
        return try execute("DELETE FROM memories WHERE memory_id = \(id.rawValue)", "deleting a memory") > 0
    }

    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return binds
    }
}
