import Foundation
import GRDB
import MemVault
import MemVaultSQLite

/// Issue 11: what each cleaning step leaves of deleted memories in the files. A tenant holds 2,000 indexed memories
/// with embeddings; the exact bytes of 100 of them (a 48-byte run of each ciphertext and of each sealed embedding,
/// and every blind term no other memory has) are read from the database; the store is closed, and the 100 are deleted with the storage's
/// own statements (`secure_delete` on, WAL mode), then the files are scanned after each step: the deletion
/// committed; the WAL checkpointed and truncated alone; the search index's segments merged and checkpointed again; the
/// database rebuilt (VACUUM) and checkpointed, which is what the store's `purgeDeleted` does. The baseline is the same scan before anything is deleted.
struct ResidueScenario: Scenario {
    let policies: URL
    let name = "residue"
    let memories = 2_000
    let deleted = 100

    func run() async throws -> ReportSection {
        let bench = try await BenchInstallation.make("residue", policies: policies)
        let subject = try await bench.tenant.resolveSubject(externalID: "bench-user").id
        let cube = try await bench.tenant.createCube(
            NewCube(owner: .subject(subject), name: "bench", defaultCategory: "conversation", embeddingDimension: 16))
        var ids: [MemoryID] = []
        for batch in 0..<(memories / 500) {
            ids += try await bench.tenant.addMemories(
                (0..<500).map { index in
                    NewMemory(
                        content: .text("note \(batch * 500 + index) with word\(batch * 500 + index) and tea"),
                        embedding: (0..<16).map { _ in Float.random(in: -1...1) })
                }, to: cube.id
            ).map(\.id)
        }
        _ = try await bench.tenant.search(SearchQuery("tea", in: .subject(subject)))
        try await bench.store.close()
        try bench.closeInstallation()
        defer { try? FileManager.default.removeItem(at: bench.folder) }

        let folder = bench.folder.appending(path: "data")
        let path = folder.appending(path: "tenants/bench.sqlite").path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let database = try DatabasePool(path: path, configuration: configuration)
        let victims = Array(ids.shuffled().prefix(deleted))
        let needles: [[UInt8]] = try await database.read { db in
            // Terms other memories share (the words every note has) stay, rightly: only the victims' own count.
            let victimIDs = Set(victims.map(\.rawValue))
            var shared: Set<Substring> = []
            for row in try Row.fetchAll(db, sql: "SELECT memory_id, terms FROM search_documents")
            where !victimIDs.contains(row[0] as String) {
                shared.formUnion((row[1] as String).split(separator: " "))
            }
            var needles: [[UInt8]] = []
            for victim in victims {
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT m.payload, v.vector, d.terms FROM memories m
                        JOIN memory_vectors v USING (memory_id) JOIN search_documents d USING (memory_id)
                        WHERE m.memory_id = ?
                        """, arguments: [victim.rawValue])
                guard let row else { throw ScenarioFailure("memory \(victim) not found") }
                for blob in [Array(row[0] as Data), Array(row[1] as Data)] {
                    needles.append(Array(blob[(blob.count / 2 - 24)..<(blob.count / 2 + 24)]))
                }
                // The word unique to this memory: its term, without the prefix FTS5 may share with the one before.
                needles += (row[2] as String).split(separator: " ").filter { !shared.contains($0) }.map {
                    Array($0.utf8.dropFirst(4))
                }
            }
            return needles
        }
        func residue() throws -> Double {
            let files = try FileManager.default.subpathsOfDirectory(atPath: folder.path).compactMap {
                FileManager.default.contents(atPath: folder.appending(path: $0).path)
            }
            return Double(needles.count { needle in files.contains { $0.range(of: Data(needle)) != nil } })
        }
        let before = try residue()
        try await database.write { db in
            for victim in victims {
                try db.execute(sql: "DELETE FROM memory_history WHERE memory_id = ?", arguments: [victim.rawValue])
                try db.execute(sql: "DELETE FROM memories WHERE memory_id = ?", arguments: [victim.rawValue])
            }
        }
        let afterDelete = try residue()
        _ = try await database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let afterCheckpoint = try residue()
        try await database.write { db in
            try db.execute(sql: "INSERT INTO search_index (search_index) VALUES ('optimize')")
        }
        _ = try await database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let afterMerge = try residue()
        _ = try await database.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
            return try db.checkpoint(.truncate)
        }
        let afterVacuum = try residue()
        try database.close()

        func row(_ label: String, _ value: Double) -> Measurement {
            Measurement(
                label: label, value: value, unit: "artefacts", baselineLabel: "before deletion", baseline: before,
                higherIsBetter: false)
        }
        return ReportSection(
            title: "What deletion leaves in the files",
            description: """
                The exact bytes of \(deleted) of \(memories) indexed memories (a 48-byte run of each ciphertext and \
                of each sealed embedding, each blind term no other memory has less its first 4 characters: \
                \(needles.count) artefacts), \
                looked for in every file of the data folder after each step of the store's clean-up, the deletions \
                made with the storage's own statements, `secure_delete` on. Fewer is better; the store returns \
                from a deletion only after the last step.
                """,
            rows: [
                row("after the deletions commit", afterDelete),
                row("then the WAL checkpointed and truncated", afterCheckpoint),
                row("then the search index's segments merged, and checkpointed again", afterMerge),
                row("then the database rebuilt (VACUUM) and checkpointed: what a deletion does", afterVacuum),
            ],
            notes: [
                "secure_delete zeroes deleted cells in the page images written from then on, but the database file "
                    + "keeps the old images until a checkpoint copies the new ones in, and FTS5 (SQLite 3.40) keeps a "
                    + "deleted document's terms in its segment behind a tombstone until the segments are merged. "
                    + "Neither reaches the stale cell copies B-tree rebalancing leaves in a page's free gap (the "
                    + "erasure forensic test found an erased subject's rows and blind terms there); VACUUM does."
            ])
    }
}
