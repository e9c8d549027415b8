import Foundation
import GRDB

/// Persistence of wrapped keys in their own SQLite file, apart from the data files.
///
/// Holds only ciphertext (keys wrapped under the master key or a tenant key), version numbers and counters.
/// `secure_delete` overwrites removed rows, and destructive operations truncate the WAL, so a destroyed wrapped key
/// does not linger in free pages or the log.
struct KeyStore: Sendable {
    private let database: DatabaseQueue

    static func open(path: String) throws -> KeyStore {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = true
        configuration.label = "MemVault key store"
        // Other processes (a server, the CLI) share this file: wait for their write lock instead of failing.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try migrator.migrate(database)
            return KeyStore(database: database)
        } catch {
            throw MemVaultError(.storage, "cannot open key store \(path): \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try mapErrors { try database.read(body) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try mapErrors { try database.write(body) }
    }

    /// Moves every WAL frame into the main file and truncates the WAL, so deleted key bytes leave no copy there.
    func purgeLog() throws {
        _ = try mapErrors { try database.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
    }

    private func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MemVaultError {
            throw error
        } catch let error as DatabaseError {
            throw MemVaultError(.storage, "key store: \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenant and data keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE key_store_metadata (
                        name TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE tenants (
                        tenant_id TEXT PRIMARY KEY NOT NULL,
                        primary_key_version INTEGER NOT NULL,
                        created_at TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE tenant_keys (
                        tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id) ON DELETE CASCADE,
                        version INTEGER NOT NULL CHECK (version > 0),
                        wrapped_key BLOB,
                        created_at TEXT NOT NULL,
                        retired_at TEXT,
                        CHECK ((wrapped_key IS NULL) = (retired_at IS NOT NULL)),
                        PRIMARY KEY (tenant_id, version)
                    ) STRICT;
                    CREATE TABLE data_keys (
                        tenant_id TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        version INTEGER NOT NULL CHECK (version > 0),
                        wrapped_key BLOB NOT NULL,
                        wrapped_by INTEGER NOT NULL,
                        encryptions_reserved INTEGER NOT NULL DEFAULT 0 CHECK (encryptions_reserved >= 0),
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, owner, version),
                        FOREIGN KEY (tenant_id, wrapped_by) REFERENCES tenant_keys(tenant_id, version)
                    ) STRICT;
                    CREATE INDEX data_keys_by_wrapping_key ON data_keys(tenant_id, wrapped_by);
                    """)
        }
        return migrator
    }
}

/// ISO 8601 timestamps for key events; text so that the key store stays readable with the sqlite3 shell.
func timestamp(_ date: Date = .now) -> String {
    date.formatted(.iso8601)
}
