import MemVault
import PostgresNIO

extension PostgresRecords: VectorRecords {
    func storeVectors(_ records: [VectorRecord]) throws {
        guard !records.isEmpty else { return }
        // Delete, then insert: the delete trigger keeps the cube's count and generation.
        try execute(
            "DELETE FROM memory_vectors WHERE memory_id = ANY(\(records.map(\.memory.rawValue)))", "storing embeddings")
        for start in stride(from: 0, to: records.count, by: Self.insertChunk) {
            var binds = PostgresBindings()
            var rows: [String] = []
            for (index, record) in records[start..<min(start + Self.insertChunk, records.count)].enumerated() {
                let first = index * 5
                rows.append("($\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4), $\(first + 5))")
                binds.append(record.memory.rawValue)
                binds.append(record.cube.rawValue)
                binds.append(Int32(clamping: record.version))
                binds.append(Int64(record.keyVersion))
                binds.append(bytea(record.sealed))
            }
            try execute(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO memory_vectors (memory_id, cube_id, version, key_version, vector)
                        VALUES \(rows.joined(separator: ", "))
                        """, binds: binds), "storing embeddings")
        }
    }

    func vectors(in cube: CubeID) throws -> [VectorRecord] {
        try rows(
            """
            SELECT memory_id, cube_id, version, key_version, vector FROM memory_vectors WHERE cube_id = \(cube.rawValue)
            ORDER BY memory_id
            """, "reading embeddings"
        ).map(Self.vector)
    }

    func vector(of memory: MemoryID) throws -> VectorRecord? {
        try row(
            """
            SELECT memory_id, cube_id, version, key_version, vector FROM memory_vectors
            WHERE memory_id = \(memory.rawValue)
            """, "reading an embedding"
        ).map(Self.vector)
    }

    private static func vector(_ row: Columns) throws -> VectorRecord {
        VectorRecord(
            memory: MemoryID(unchecked: try row["memory_id"]), cube: CubeID(unchecked: try row["cube_id"]),
            version: Int(try row["version", as: Int32.self]), keyVersion: try MemoryRow.keyVersion(row),
            sealed: try row.bytes("vector"))
    }

    func vectorGeneration(of cube: CubeID) throws -> Int64 {
        try row(
            "SELECT generation FROM vector_generations WHERE cube_id = \(cube.rawValue)", "reading embeddings"
        )?["generation"] ?? 0
    }

    func awaitingEmbedding(in cube: CubeID) throws -> Int {
        let row = try row(
            """
            SELECT greatest(0, coalesce((SELECT memories FROM cube_memory_counts WHERE cube_id = \(cube.rawValue)), 0)
                - coalesce((SELECT vectors FROM vector_generations WHERE cube_id = \(cube.rawValue)), 0)) AS awaiting
            """, "counting memories to embed")
        return Int(try row?["awaiting", as: Int64.self] ?? 0)
    }

    func countAwaitingEmbedding(_ added: Int, in cube: CubeID) throws {
        try execute(
            """
            INSERT INTO cube_memory_counts (cube_id, memories) VALUES (\(cube.rawValue), \(Int64(added)))
            ON CONFLICT (cube_id) DO UPDATE SET memories = cube_memory_counts.memories + excluded.memories
            """, "counting memories to embed")
    }

    func memoriesAwaitingEmbedding(in cube: CubeID, after: MemoryID?, limit: Int) throws -> [MemoryRecord] {
        try rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(MemoryRow.list) FROM memories m
                    WHERE cube_id = $1 AND memory_id > $2
                      AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.memory_id)
                    ORDER BY memory_id LIMIT $3
                    """, binds: Self.binds(cube.rawValue, after?.rawValue ?? "", limit)), "listing memories to embed"
        ).map(MemoryRow.record)
    }

    func removeVectors(in cube: CubeID) throws -> Int {
        try execute("DELETE FROM memory_vectors WHERE cube_id = \(cube.rawValue)", "removing embeddings")
    }
}
