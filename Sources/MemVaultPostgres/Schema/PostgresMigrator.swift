import MemVault
import MemVaultCrypto
import PostgresNIO

/// One step of a schema's history: statements run in order, in the transaction of the migration. Never edit a
/// shipped migration: add one.
struct PostgresMigration: Sendable {
    let name: String
    let statements: [String]
}

/// Brings a schema to its latest migration, once, under an advisory lock, so servers starting together do not
/// both migrate. Each schema keeps the names of the migrations applied to it; a schema with a migration this
/// build does not know was written by a newer MemVault and is refused rather than used.
enum PostgresMigrator {
    static func migrate(_ connection: BlockingConnection, schema: String, migrations: [PostgresMigration]) throws {
        try PostgresWorkers.inTransaction(
            connection, schema: nil, lock: AdvisoryLock.key("migrate:\(schema)"), readOnly: false
        ) {
            let name = SQLName.quoted(schema)
            try connection.execute(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(name)"), "creating schema \(schema)")
            try connection.execute(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(name).schema_migrations (
                            name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                        """), "creating the migrations table of \(schema)")
            let applied = Set(
                try connection.rows(
                    PostgresQuery(unsafeSQL: "SELECT name FROM \(name).schema_migrations"),
                    "reading the migrations of \(schema)"
                ).map { try $0.decode(String.self) })
            let known = Set(migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw MemVaultError(
                    .storage,
                    "schema \(schema) has migration '\(unknown)', which this MemVault does not know: it was written by "
                        + "a newer version")
            }
            try connection.execute(
                PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(name)"), "choosing schema \(schema)")
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try connection.execute(
                        PostgresQuery(unsafeSQL: statement), "migrating \(schema) to '\(migration.name)'")
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (name) VALUES (\(migration.name))", "recording a migration")
            }
        }
    }
}

/// Keys of PostgreSQL advisory locks: 64 bits of SHA-256 over a name. Two names sharing a key only serialise
/// each other; nothing else depends on them being distinct.
enum AdvisoryLock {
    static func key(_ name: String) -> Int64 {
        let digest = (try? SHA256.hash(Array("memvault:\(name)".utf8))) ?? []
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
