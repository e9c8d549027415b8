import Foundation
import GRDB
import MemVault

// MARK: - Embeddings (schema v7)

extension SQLiteRecords: VectorRecords {
    func storeVectors(_ records: [VectorRecord]) throws {
        guard !records.isEmpty else { return }
        try run("storing embeddings") {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO memory_vectors (memory_id, cube_id, version, key_version, vector)
                    VALUES (?, ?, ?, ?, ?)
                    """)
            for record in records {
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
}
