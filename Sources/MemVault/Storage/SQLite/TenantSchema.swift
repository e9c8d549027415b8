import GRDB

/// The schema of one tenant's database, as GRDB migrations. Never edit a shipped migration: add one.
enum TenantSchema {
    /// The columns of a memory row, in the order `MemoryRecord(row:)` and the inserts use.
    static let memoryColumns = """
        memory_id, cube_id, subject_id, version, supersedes, status, memory_type, category, source_kind, \
        content_kind, content_size, occurred_at, valid_from, valid_until, created_at, updated_at, key_version, payload
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE subjects (
                        subject_id TEXT PRIMARY KEY NOT NULL,
                        pseudonym TEXT NOT NULL UNIQUE,
                        external_id BLOB NOT NULL,
                        key_version INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE cubes (
                        cube_id TEXT PRIMARY KEY NOT NULL,
                        subject_id TEXT REFERENCES subjects(subject_id),
                        kind TEXT NOT NULL,
                        default_category TEXT NOT NULL,
                        schema_version INTEGER NOT NULL,
                        metadata BLOB NOT NULL,
                        key_version INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX cubes_by_subject ON cubes(subject_id, cube_id);
                    CREATE TABLE memories (
                        memory_id TEXT PRIMARY KEY NOT NULL,
                        cube_id TEXT NOT NULL REFERENCES cubes(cube_id),
                        subject_id TEXT REFERENCES subjects(subject_id),
                        version INTEGER NOT NULL CHECK (version > 0),
                        status TEXT NOT NULL,
                        memory_type TEXT NOT NULL,
                        category TEXT NOT NULL,
                        source_kind TEXT NOT NULL,
                        content_kind TEXT NOT NULL CHECK (content_kind IN ('text', 'binary')),
                        content_size INTEGER NOT NULL,
                        occurred_at INTEGER,
                        valid_from INTEGER,
                        valid_until INTEGER,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        key_version INTEGER NOT NULL,
                        payload BLOB NOT NULL
                    ) STRICT;
                    CREATE INDEX memories_by_cube ON memories(cube_id, memory_id);
                    """)
        }
        // Versions and lineage: an update keeps the version it supersedes in memory_history.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE memories ADD COLUMN supersedes INTEGER;
                    CREATE TABLE memory_history (
                        memory_id TEXT NOT NULL,
                        cube_id TEXT NOT NULL,
                        subject_id TEXT,
                        version INTEGER NOT NULL,
                        supersedes INTEGER,
                        status TEXT NOT NULL,
                        memory_type TEXT NOT NULL,
                        category TEXT NOT NULL,
                        source_kind TEXT NOT NULL,
                        content_kind TEXT NOT NULL,
                        content_size INTEGER NOT NULL,
                        occurred_at INTEGER,
                        valid_from INTEGER,
                        valid_until INTEGER,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        key_version INTEGER NOT NULL,
                        payload BLOB NOT NULL,
                        PRIMARY KEY (memory_id, version)
                    ) STRICT;
                    CREATE INDEX memories_by_subject ON memories(subject_id, memory_id);
                    """)
        }
        return migrator
    }
}
