import GRDB
import MemVault

// MARK: - Search index (FTS5 over blind terms; schema v6)

extension SQLiteRecords: SearchIndexRecords {
    func index(_ documents: [IndexedDocument]) throws {
        try run("indexing memories") {
            let remove = try db.cachedStatement(sql: "DELETE FROM search_documents WHERE memory_id = ?")
            let insert = try db.cachedStatement(sql: "INSERT INTO search_documents (memory_id, terms) VALUES (?, ?)")
            let label = try db.cachedStatement(sql: "INSERT OR IGNORE INTO search_labels (label, doc) VALUES (?, ?)")
            for document in documents {
                try remove.execute(arguments: [document.memory.rawValue])
                // Sorted: ranking needs only how often each term occurs, and the index then keeps no word order.
                try insert.execute(arguments: [
                    document.memory.rawValue, document.terms.sorted().joined(separator: " "),
                ])
                let doc = db.lastInsertedRowID
                for blind in Set(document.labels) { try label.execute(arguments: [blind, doc]) }
            }
        }
    }

    func indexedDocument(_ memory: MemoryID) throws -> IndexedDocument? {
        try run("reading the search index") {
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT doc, terms FROM search_documents WHERE memory_id = ?", arguments: [memory.rawValue]
                )
            else { return nil }
            let terms: String = row["terms"]
            let labels = try String.fetchAll(
                db, sql: "SELECT label FROM search_labels WHERE doc = ? ORDER BY label",
                arguments: [row["doc"] as Int64])
            return IndexedDocument(
                memory: memory, terms: terms.split(separator: " ").map(String.init), labels: labels)
        }
    }

    func searchLexical(_ query: LexicalQuery) throws -> [LexicalHit] {
        guard !query.terms.isEmpty, !query.cubes.isEmpty, !query.filter.statuses.isEmpty, query.limit > 0 else {
            return []
        }
        return try run("searching the index") {
            var sql = """
                SELECT d.memory_id, bm25(search_index) AS score
                FROM search_index
                CROSS JOIN search_documents d ON d.doc = search_index.rowid
                CROSS JOIN memories m ON m.memory_id = d.memory_id
                WHERE search_index MATCH ?
                """
            // Blind terms are hex, but are quoted anyway: the MATCH expression never parses anything else.
            var arguments: StatementArguments = [query.terms.map { "\"\($0)\"" }.joined(separator: " OR ")]
            func restrict(_ column: String, _ values: [String]) {
                sql += " AND \(column) IN (\(databaseQuestionMarks(count: values.count)))"
                arguments += StatementArguments(values)
            }
            restrict("m.cube_id", query.cubes.map(\.rawValue))
            restrict("m.status", query.filter.statuses.map(\.rawValue).sorted())
            if let types = query.filter.types { restrict("m.memory_type", types.map(\.rawValue).sorted()) }
            if let categories = query.filter.categories { restrict("m.category", categories.sorted()) }
            if let from = query.filter.occurredFrom {
                sql += " AND m.occurred_at >= ?"
                arguments += [from]
            }
            if let until = query.filter.occurredUntil {
                sql += " AND m.occurred_at <= ?"
                arguments += [until]
            }
            if let time = query.filter.validAt {
                sql +=
                    " AND (m.valid_from IS NULL OR m.valid_from <= ?) AND (m.valid_until IS NULL OR m.valid_until > ?)"
                arguments += [time, time]
            }
            for label in Set(query.labels).sorted() {
                sql += " AND d.doc IN (SELECT doc FROM search_labels WHERE label = ?)"
                arguments += [label]
            }
            // FTS5's bm25() is negative (more negative is better); ties go to the entry indexed first.
            sql += " ORDER BY score, d.doc LIMIT ?"
            arguments += [query.limit]
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
                LexicalHit(memory: MemoryID(unchecked: row[0] as String), score: -(row[1] as Double))
            }
        }
    }
}
