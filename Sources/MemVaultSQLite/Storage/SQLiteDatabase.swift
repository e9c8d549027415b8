import Foundation
import GRDB
import Logging
import MemVault

/// Opening and closing MemVault's SQLite databases the same way everywhere: WAL, `secure_delete`, owner-only
/// files, migrations, and a clean close that leaves no `-wal` or `-shm` file behind.
enum SQLiteDatabase {
    /// Opens (or with `create`, creates) a database file. Refuses to create one silently: a missing file that
    /// should exist is an error, never a fresh empty database.
    static func openPool(
        path: String, label: String, configuration: SQLiteConfiguration, synchronous: SQLiteConfiguration.Synchronous,
        foreignKeys: Bool, create: Bool, migrator: DatabaseMigrator, logger: Logger
    ) throws -> DatabasePool {
        try FilePermissions.prepareDatabaseFile(path, create: create)
        var options = Configuration()
        options.label = label
        options.foreignKeysEnabled = foreignKeys
        options.maximumReaderCount = configuration.maximumReaders
        options.busyMode = .timeout(configuration.busyTimeoutSeconds)
        let mode = synchronous.rawValue.uppercased()
        options.prepareDatabase { db in
            // secure_delete: deleted records are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA synchronous = \(mode)")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: options)
            let applied = try pool.read { try migrator.appliedIdentifiers($0) }
            try migrator.migrate(pool)
            let pending = migrator.migrations.filter { !applied.contains($0) }
            if !applied.isEmpty, !pending.isEmpty {
                logger.notice(
                    "upgraded a database's schema", metadata: ["database": "\(label)", "migrations": "\(pending)"])
            }
            logger.debug("opened a database", metadata: ["database": "\(label)", "created": "\(applied.isEmpty)"])
            return pool
        } catch {
            throw storageError(error, "opening \(label)")
        }
    }

    /// A synchronous read: called from async functions on purpose, because there `pool.read` would resolve to GRDB's
    /// async overload, which costs about three times as much per call (GRDB's Concurrency guide).
    static func read<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Moves every WAL frame into the database, truncates the WAL and closes every connection; SQLite then removes
    /// the `-wal` and `-shm` files.
    static func close(_ pool: DatabasePool, label: String, logger: Logger) throws {
        do {
            // Readers first: only the last connection to close removes the files, and GRDB's `close()` closes the
            // writer before the readers (GRDB issue #739), which would leave them behind.
            pool.releaseMemory()
            _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            try pool.close()
            logger.debug("closed a database; its write-ahead log is checkpointed", metadata: ["database": "\(label)"])
        } catch {
            logger.error(
                "a database did not close cleanly",
                metadata: ["database": "\(label)", "sqlite": "\(SQLiteResult.code(of: error))"])
            throw storageError(error, "closing \(label)")
        }
    }
}

/// Owner-only permissions for everything in the data folder: folders 0700, files 0600, tightened if they existed
/// with looser modes (SQLite gives `-wal` and `-shm` files the mode of their database).
enum FilePermissions {
    static func prepareFolder(_ url: URL) throws {
        try PrivateFolder.prepare(url)
    }

    static func prepareDatabaseFile(_ path: String, create: Bool) throws {
        let files = FileManager.default
        if !files.fileExists(atPath: path) {
            guard create else {
                throw MemVaultError(
                    .storage, "the database \(path) is missing; it was moved or deleted outside MemVault")
            }
            guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw MemVaultError(.dataFolderUnusable, "cannot create \(path)")
            }
        }
        for file in [path, path + "-wal", path + "-shm"] where files.fileExists(atPath: file) {
            do {
                try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            } catch {
                throw MemVaultError(
                    .dataFolderUnusable, "cannot restrict \(file) to its owner: \(error.localizedDescription)")
            }
        }
    }

    /// A database and its WAL and shared-memory files, if any exist.
    static func databaseFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm", path + "-journal"].filter { FileManager.default.fileExists(atPath: $0) }
    }
}
