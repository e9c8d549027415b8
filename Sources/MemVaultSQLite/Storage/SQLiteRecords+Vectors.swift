import Foundation
import GRDB
import MemVault

// MARK: - Embeddings (schema v7)

extension SQLiteRecords: VectorRecords {
    func storeVectors(_ records: [VectorRecord]) throws {
        guard !records.isEmpty else { return }
        try run("storing embeddings") {
            // Delete, then insert: a REPLACE would skip the delete trigger that keeps the cube's count.
            let remove = try db.cachedStatement(sql: "DELETE FROM memory_vectors WHERE memory_id = ?")
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO memory_vectors (memory_id, cube_id, version, key_version, vector)
                    VALUES (?, ?, ?, ?, ?)
                    """)
            for record in records {
                try remove.execute(arguments: [record.memory.rawValue])
                try statement.execute(arguments: [
                    record.memory.rawValue, record.cube.rawValue, record.version, Int64(record.keyVersion),
                    Data(record.sealed),
                ])
            }
        }
    }

    func vectors(in cube: CubeID) throws -> [VectorRecord] {
        try run("reading embeddings") {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT memory_id, version, key_version, vector FROM memory_vectors WHERE cube_id = ?
                        ORDER BY memory_id
                        """),
                arguments: [cube.rawValue]
            ).map { row in
                VectorRecord(
                    memory: MemoryID(unchecked: row[0]), cube: cube, version: row[1],
                    keyVersion: UInt32(clamping: row[2] as Int64), sealed: Array(row[3] as Data))
            }
        }
    }

    func vector(of memory: MemoryID) throws -> VectorRecord? {
        try run("reading an embedding") {
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT cube_id, version, key_version, vector FROM memory_vectors WHERE memory_id = ?"),
                arguments: [memory.rawValue]
            ).map { row in
                VectorRecord(
                    memory: memory, cube: CubeID(unchecked: row[0]), version: row[1],
                    keyVersion: UInt32(clamping: row[2] as Int64), sealed: Array(row[3] as Data))
            }
        }
    }

    func vectorGeneration(of cube: CubeID) throws -> Int64 {
        try run("reading embeddings") {
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT generation FROM vector_generations WHERE cube_id = ?"),
                arguments: [cube.rawValue]) ?? 0
        }
    }

    func awaitingEmbedding(in cube: CubeID) throws -> Int {
        try run("counting memories to embed") {
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT max(0, coalesce((SELECT memories FROM cube_memory_counts WHERE cube_id = ?1), 0)
                            - coalesce((SELECT vectors FROM vector_generations WHERE cube_id = ?1), 0))
                        """), arguments: [cube.rawValue]) ?? 0
        }
    }

    func countAwaitingEmbedding(_ added: Int, in cube: CubeID) throws {
        try run("counting memories to embed") {
            try db.cachedStatement(
                sql: """
                    INSERT INTO cube_memory_counts (cube_id, memories) VALUES (?, ?)
                    ON CONFLICT (cube_id) DO UPDATE SET memories = memories + excluded.memories
                    """
            ).execute(arguments: [cube.rawValue, added])
        }
    }

    func memoriesAwaitingEmbedding(in cube: CubeID, after: MemoryID?, limit: Int) throws -> [MemoryRecord] {
        try run("listing memories to embed") {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(MemoryColumn.list) FROM memories m
                        WHERE cube_id = ? AND memory_id > ?
                          AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.memory_id)
                        ORDER BY memory_id LIMIT ?
                        """), arguments: [cube.rawValue, after?.rawValue ?? "", limit]
            ).map(MemoryColumn.record)
        }
    }

    func removeVectors(in cube: CubeID) throws -> Int {
        try run("removing embeddings") {
            try db.execute(sql: "DELETE FROM memory_vectors WHERE cube_id = ?", arguments: [cube.rawValue])
            return db.changesCount
        }
    }
}
