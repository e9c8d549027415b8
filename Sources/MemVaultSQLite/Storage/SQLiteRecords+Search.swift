import GRDB
import MemVault

// MARK: - Search index (FTS5 over blind terms; schema v6)

extension SQLiteRecords: SearchIndexRecords {
    func index(_ documents: [IndexedDocument]) throws {
        try write(documents, replacing: true)
    }

    func indexAdded(_ documents: [IndexedDocument]) throws {
        try write(documents, replacing: false)
    }

    private func write(_ documents: [IndexedDocument], replacing: Bool) throws {
        // Memories of cubes without an index come with none: no statement, not even the pending count.
        guard !documents.isEmpty else { return }
        try run("indexing memories") {
            let existing = try db.cachedStatement(sql: "SELECT 1 FROM search_documents WHERE memory_id = ?")
            let remove = try db.cachedStatement(sql: "DELETE FROM search_documents WHERE memory_id = ?")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO search_documents (doc, memory_id, terms, labels)
                    VALUES (max(
                        coalesce((SELECT max(doc) FROM search_documents), 0),
                        (SELECT indexed_through FROM search_state)) + 1, ?, ?, ?)
                    """)
            for document in documents {
                // Only an entry that exists is deleted: the delete runs a trigger into FTS5, and any statement that
                // touches FTS5 makes it write out what it holds. A memory just added has none (memory_id is unique:
                // if it had one, the insert fails).
                if replacing, try Bool.fetchOne(existing, arguments: [document.memory.rawValue]) == true {
                    try remove.execute(arguments: [document.memory.rawValue])
                }
                // Sorted: ranking needs only how often each term occurs, and the index then keeps no word order.
                // Labels are few per memory and only filter what the index matched: a column, not a table.
                try insert.execute(arguments: [
                    document.memory.rawValue, document.terms.sorted().joined(separator: " "),
                    Set(document.labels).sorted().joined(separator: " "),
                ])
            }
            if try pendingReachedThreshold() { try flushPending() }
        }
    }

    /// How many indexed memories may wait for FTS5 before an add moves them in (a search always does first):
    /// larger batches make fewer, larger FTS5 segments (256 measured a third slower for batched adds, and slower
    /// searches from the extra segments).
    static let pendingFlushThreshold = 1_024

    /// Whether about `pendingFlushThreshold` entries are pending: ids issued above the watermark, an upper bound
    /// (entries deleted while pending leave gaps), read in constant time.
    private func pendingReachedThreshold() throws -> Bool {
        let statement = try db.cachedStatement(
            sql: """
                SELECT coalesce((SELECT max(doc) FROM search_documents), 0)
                    - (SELECT indexed_through FROM search_state)
                """)
        return try Int.fetchOne(statement) ?? 0 >= Self.pendingFlushThreshold
    }

    /// Moves every pending entry into FTS5 and raises the watermark, in this transaction.
    private func flushPending() throws {
        let pending = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT doc, terms FROM search_documents
                    WHERE doc > (SELECT indexed_through FROM search_state) ORDER BY doc
                    """))
        guard let last = pending.last else { return }
        let insert = try db.cachedStatement(sql: "INSERT INTO search_index (rowid, terms) VALUES (?, ?)")
        for row in pending { try insert.execute(arguments: [row[0] as Int64, row[1] as String]) }
        try db.cachedStatement(sql: "UPDATE search_state SET indexed_through = ?")
            .execute(arguments: [last[0] as Int64])
    }

    func indexedDocument(_ memory: MemoryID) throws -> IndexedDocument? {
        try run("reading the search index") {
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT terms, labels FROM search_documents WHERE memory_id = ?",
                    arguments: [memory.rawValue])
            else { return nil }
            let terms: String = row["terms"]
            let labels = (row["labels"] as String).split(separator: " ").map(String.init)
            return IndexedDocument(
                memory: memory, terms: terms.split(separator: " ").map(String.init), labels: labels)
        }
    }

    func searchLexical(_ query: LexicalQuery) throws -> [LexicalHit] {
        guard !query.terms.isEmpty, !query.cubes.isEmpty, !query.filter.statuses.isEmpty, query.limit > 0 else {
            return []
        }
        guard transaction != nil else {
            throw MemVaultError(.storage, "a search runs in a unit of work: pending index entries are moved first")
        }
        return try run("searching the index") {
            try flushPending()
            // Ranked inside FTS5 first, the way it is fastest, then filtered on the few rows ranked; if the filters
            // leave too few, the ranking is read further. The blind terms already confine the match to one owner.
            var fetch = max(query.limit * 2, 32)
            while true {
                let ranked = try rank(query.terms, limit: fetch)
                // In chunks: a statement takes a bounded number of parameters, and a deep read can rank thousands.
                var kept: [Int64: String] = [:]
                for start in stride(from: 0, to: ranked.count, by: Self.filterChunk) {
                    let chunk = ranked[start..<min(start + Self.filterChunk, ranked.count)].map(\.doc)
                    kept.merge(try passing(chunk, query)) { first, _ in first }
                }
                let hits = ranked.compactMap { entry in
                    kept[entry.doc].map { LexicalHit(memory: MemoryID(unchecked: $0), score: entry.score) }
                }
                if hits.count >= query.limit || ranked.count < fetch { return Array(hits.prefix(query.limit)) }
                fetch *= 4
            }
        }
    }

    /// Ranked rows filtered per statement (well under SQLite's limit on parameters, with the filters' own).
    static let filterChunk = 500

    /// The best `limit` index rows for any of `terms`, best first (FTS5's bm25() is negative: lower is better;
    /// ties go to the row indexed first).
    private func rank(_ terms: [String], limit: Int) throws -> [(doc: Int64, score: Double)] {
        // Blind terms are base32, but are quoted anyway: the MATCH expression never parses anything else.
        let match = terms.map { "\"\($0)\"" }.joined(separator: " OR ")
        let statement = try db.cachedStatement(
            sql: """
                SELECT rowid, bm25(search_index) AS score FROM search_index WHERE search_index MATCH ?
                ORDER BY score, rowid LIMIT ?
                """)
        return try Row.fetchAll(statement, arguments: [match, limit]).map { ($0[0], -($0[1] as Double)) }
    }

    /// Of `docs`, those whose memory passes the query's cubes and filters: doc → memory id.
    private func passing(_ docs: [Int64], _ query: LexicalQuery) throws -> [Int64: String] {
        guard !docs.isEmpty else { return [:] }
        // CROSS JOIN fixes the order: the ranked rows drive, each looked up by key. Left to itself the planner may
        // walk the whole cube by its index and probe the documents, which grows with the cube, not the result.
        var sql = """
            SELECT d.doc, d.memory_id FROM search_documents d CROSS JOIN memories m ON m.memory_id = d.memory_id
            WHERE d.doc IN (\(databaseQuestionMarks(count: docs.count)))
            """
        var arguments = StatementArguments(docs)
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
            sql += " AND (m.valid_from IS NULL OR m.valid_from <= ?) AND (m.valid_until IS NULL OR m.valid_until > ?)"
            arguments += [time, time]
        }
        for label in Set(query.labels).sorted() {
            sql += " AND instr(' ' || d.labels || ' ', ?) > 0"
            arguments += [" \(label) "]
        }
        var kept: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) { kept[row[0]] = row[1] }
        return kept
    }
}
