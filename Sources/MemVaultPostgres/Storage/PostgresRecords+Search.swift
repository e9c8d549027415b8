import MemVault
import PostgresNIO

// MARK: - Search index (blind terms and BM25 in SQL)

extension PostgresRecords: SearchIndexRecords {
    func index(_ documents: [IndexedDocument]) throws {
        guard !documents.isEmpty else { return }
        // Replaced by delete and insert: a re-indexed memory ranks as indexed last among ties, as in SQLite.
        try execute(
            "DELETE FROM search_documents WHERE memory_id = ANY(\(documents.map(\.memory.rawValue)))",
            "indexing memories")
        try indexAdded(documents)
    }

    func indexAdded(_ documents: [IndexedDocument]) throws {
        guard !documents.isEmpty else { return }
        // Sorted: ranking needs only how often each term occurs, and the index then keeps no word order.
        let ids = documents.map(\.memory.rawValue)
        try execute(
            """
            INSERT INTO search_documents (memory_id, terms, labels, length)
            SELECT d.memory_id, d.terms, d.labels, d.length
            FROM unnest(\(ids)::text[], \(documents.map { $0.terms.sorted().joined(separator: " ") })::text[],
                        \(documents.map { Set($0.labels).sorted().joined(separator: " ") })::text[],
                        \(documents.map { $0.terms.count })::int8[])
                 WITH ORDINALITY AS d (memory_id, terms, labels, length, position)
            ORDER BY d.position
            """, "indexing memories")
        var postingIDs: [String] = []
        var postingTerms: [String] = []
        var frequencies: [Int] = []
        for document in documents {
            var counts: [String: Int] = [:]
            for term in document.terms { counts[term, default: 0] += 1 }
            for (term, count) in counts.sorted(by: { $0.key < $1.key }) {
                postingIDs.append(document.memory.rawValue)
                postingTerms.append(term)
                frequencies.append(count)
            }
        }
        guard !postingIDs.isEmpty else { return }
        try execute(
            """
            INSERT INTO search_postings (memory_id, term, frequency)
            SELECT * FROM unnest(\(postingIDs)::text[], \(postingTerms)::text[], \(frequencies)::int8[])
            """, "indexing memories")
    }

    func indexedDocument(_ memory: MemoryID) throws -> IndexedDocument? {
        guard
            let row = try row(
                "SELECT terms, labels FROM search_documents WHERE memory_id = \(memory.rawValue)",
                "reading the search index")
        else { return nil }
        func words(_ column: String) throws -> [String] {
            (try row[column, as: String.self]).split(separator: " ").map(String.init)
        }
        return IndexedDocument(memory: memory, terms: try words("terms"), labels: try words("labels"))
    }

    func searchLexical(_ query: LexicalQuery) throws -> [LexicalHit] {
        guard !query.terms.isEmpty, !query.cubes.isEmpty, !query.filter.statuses.isEmpty, query.limit > 0 else {
            return []
        }
        // Okapi BM25 with FTS5's definitions (see `SearchIndexRecords`), over the postings of the query's terms,
        // filtered by the memories' clear fields in the same statement.
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let terms = bind(query.terms)
        var conditions = [
            "m.cube_id = ANY(\(bind(query.cubes.map(\.rawValue))))",
            "m.status = ANY(\(bind(query.filter.statuses.map(\.rawValue).sorted())))",
        ]
        if let types = query.filter.types {
            conditions.append("m.memory_type = ANY(\(bind(types.map(\.rawValue).sorted())))")
        }
        if let categories = query.filter.categories {
            conditions.append("m.category = ANY(\(bind(categories.sorted())))")
        }
        if let from = query.filter.occurredFrom { conditions.append("m.occurred_at >= \(bind(from))") }
        if let until = query.filter.occurredUntil { conditions.append("m.occurred_at <= \(bind(until))") }
        if let time = query.filter.validAt {
            let at = bind(time)
            conditions.append("(m.valid_from IS NULL OR m.valid_from <= \(at))")
            conditions.append("(m.valid_until IS NULL OR m.valid_until > \(at))")
        }
        for label in Set(query.labels).sorted() {
            conditions.append("position(\(bind(" \(label) ")) IN ' ' || d.labels || ' ') > 0")
        }
        let limit = bind(query.limit)
        let sql = """
            WITH matched AS MATERIALIZED (
                -- The query's postings first, by the index on term, whatever the planner's statistics say.
                SELECT term, memory_id, frequency FROM search_postings WHERE term = ANY(\(terms))),
            stats AS (
                SELECT documents::float8 AS n,
                       CASE WHEN documents > 0 THEN total_length::float8 / documents ELSE 1 END AS average
                FROM search_stats),
            weights AS (
                SELECT p.term, CASE WHEN w.idf <= 0 THEN 1e-6 ELSE w.idf END AS idf
                FROM (SELECT term, count(*)::float8 AS containing FROM matched GROUP BY term) p
                CROSS JOIN stats s
                CROSS JOIN LATERAL (SELECT ln((s.n - p.containing + 0.5) / (p.containing + 0.5)) AS idf) w)
            SELECT d.memory_id, sum(w.idf * p.frequency * 2.2
                       / (p.frequency + 1.2 * (0.25 + 0.75 * d.length / s.average))) AS score, d.doc
            FROM matched p
            JOIN weights w ON w.term = p.term
            JOIN search_documents d ON d.memory_id = p.memory_id
            JOIN memories m ON m.memory_id = p.memory_id
            CROSS JOIN stats s
            WHERE \(conditions.joined(separator: " AND "))
            GROUP BY d.memory_id, d.doc
            ORDER BY score DESC, d.doc
            LIMIT \(limit)
            """
        return try rows(PostgresQuery(unsafeSQL: sql, binds: binds), "searching the index").map { row in
            LexicalHit(memory: MemoryID(unchecked: try row["memory_id"]), score: try row["score"])
        }
    }
}
