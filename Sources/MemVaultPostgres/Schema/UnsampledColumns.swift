/// Columns PostgreSQL must never sample into its statistics. `ANALYZE` (and so autovacuum) copies sampled values
/// of every column into `pg_statistic`, a catalog MemVault does not clean: left on, a subject's ciphertext,
/// blind terms and identifiers would outlive its erasure there (the forensic test found them). A statistics target
/// of 0 keeps a column out; the planner then uses its default estimates, which the queries here do not need better.
enum UnsampledColumns {
    /// `ALTER TABLE … SET STATISTICS 0` for each column of each table.
    static func statements(_ columns: KeyValuePairs<String, [String]>) -> [String] {
        columns.flatMap { table, names in
            names.map { "ALTER TABLE \(table) ALTER COLUMN \($0) SET STATISTICS 0" }
        }
    }
}
