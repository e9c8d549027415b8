package import GRDB

/// The schema of one tenant's database, as GRDB migrations. Never edit a shipped migration: add one.
package enum TenantSchema {
    package static var migrator: DatabaseMigrator {
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
        // Consent records (current state and every change, evidence sealed) and legal holds (reason sealed).
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE consents (
                        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
                        purpose TEXT NOT NULL,
                        state TEXT NOT NULL,
                        changed_at INTEGER NOT NULL,
                        PRIMARY KEY (subject_id, purpose)
                    ) STRICT;
                    CREATE TABLE consent_history (
                        change_id TEXT PRIMARY KEY NOT NULL,
                        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
                        purpose TEXT NOT NULL,
                        state TEXT NOT NULL,
                        changed_at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        evidence BLOB,
                        key_version INTEGER
                    ) STRICT;
                    CREATE INDEX consent_history_by_subject ON consent_history(subject_id, change_id);
                    CREATE TABLE legal_holds (
                        hold_id TEXT PRIMARY KEY NOT NULL,
                        target_kind TEXT NOT NULL CHECK (target_kind IN ('subject', 'cube')),
                        target_id TEXT NOT NULL,
                        reason BLOB NOT NULL,
                        key_version INTEGER NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL,
                        cleared_by TEXT,
                        cleared_at INTEGER
                    ) STRICT;
                    CREATE INDEX legal_holds_by_target ON legal_holds(target_kind, target_id) WHERE cleared_at IS NULL;
                    """)
        }
        // The audit log (Audit/SPEC.md): canonical entries with their chain hashes, and signed checkpoints.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        sequence INTEGER PRIMARY KEY NOT NULL CHECK (sequence > 0),
                        entry BLOB NOT NULL,
                        hash BLOB NOT NULL
                    ) STRICT;
                    CREATE TABLE audit_checkpoints (
                        size INTEGER PRIMARY KEY NOT NULL,
                        root BLOB NOT NULL,
                        note TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        // Authenticated governance state: consent and holds sealed under the tenant's integrity key, each consent
        // change chained to the previous one for its purpose, and the hold registry that all holds must match.
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    ALTER TABLE consents ADD COLUMN change_id TEXT;
                    ALTER TABLE consents ADD COLUMN seal BLOB;
                    ALTER TABLE consent_history ADD COLUMN previous TEXT;
                    ALTER TABLE consent_history ADD COLUMN seal BLOB;
                    CREATE INDEX consent_history_by_purpose ON consent_history(subject_id, purpose);
                    ALTER TABLE legal_holds ADD COLUMN seal BLOB;
                    CREATE TABLE hold_registry (
                        registry INTEGER PRIMARY KEY NOT NULL CHECK (registry = 1),
                        generation INTEGER NOT NULL,
                        digest BLOB NOT NULL,
                        seal BLOB NOT NULL
                    ) STRICT;
                    """)
        }
        // Search (docs/search.md): a contentless FTS5 index of blind terms, fed in batches. Every indexed memory has
        // a row in `search_documents` with its blind terms (sorted: the index holds a bag of terms, not their
        // order) and labels, written in the memory's own unit of work; rows above `search_state.indexed_through`
        // are pending, and are moved into FTS5 in one go before any search ranks (and whenever enough are
        // pending), because FTS5 pays for every transaction that touches it (a new segment, its structure record,
        // merges): ~0.2 ms, more than an add. Entries take ids above both the largest and the watermark, so a
        // pending entry is never mistaken for one already in FTS5.
        // The FTS5 table can only forget a row given its exact terms, which is why they are kept. Triggers remove
        // entries, so deleting a memory, by any path, removes its entry in the same statement.
        migrator.registerMigration("v6: search index") { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE search_index USING fts5(terms, content = '', tokenize = 'ascii');
                    CREATE TABLE search_documents (
                        doc INTEGER PRIMARY KEY,
                        memory_id TEXT NOT NULL UNIQUE,
                        terms TEXT NOT NULL,
                        labels TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE search_state (
                        state INTEGER PRIMARY KEY NOT NULL CHECK (state = 1),
                        indexed_through INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO search_state (state, indexed_through) VALUES (1, 0);
                    CREATE TRIGGER search_documents_removed AFTER DELETE ON search_documents
                    WHEN old.doc <= (SELECT indexed_through FROM search_state) BEGIN
                        INSERT INTO search_index (search_index, rowid, terms) VALUES ('delete', old.doc, old.terms);
                    END;
                    CREATE TRIGGER memories_removed_from_search AFTER DELETE ON memories BEGIN
                        DELETE FROM search_documents WHERE memory_id = old.memory_id;
                    END;
                    """)
        }
        // Embeddings (docs/search.md): sealed per current version; a per-cube generation that triggers move on
        // every change, so a process's cache of opened vectors notices changes made by any process.
        migrator.registerMigration("v7: embeddings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE memory_vectors (
                        memory_id TEXT PRIMARY KEY NOT NULL,
                        cube_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        key_version INTEGER NOT NULL,
                        vector BLOB NOT NULL
                    ) STRICT;
                    CREATE INDEX memory_vectors_by_cube ON memory_vectors(cube_id, memory_id);
                    CREATE TABLE vector_generations (
                        cube_id TEXT PRIMARY KEY NOT NULL,
                        generation INTEGER NOT NULL
                    ) STRICT;
                    CREATE TRIGGER memory_vectors_added AFTER INSERT ON memory_vectors BEGIN
                        INSERT INTO vector_generations (cube_id, generation) VALUES (new.cube_id, 1)
                            ON CONFLICT (cube_id) DO UPDATE SET generation = generation + 1;
                    END;
                    CREATE TRIGGER memory_vectors_removed AFTER DELETE ON memory_vectors BEGIN
                        INSERT INTO vector_generations (cube_id, generation) VALUES (old.cube_id, 1)
                            ON CONFLICT (cube_id) DO UPDATE SET generation = generation + 1;
                    END;
                    CREATE TRIGGER memories_removed_with_vectors AFTER DELETE ON memories BEGIN
                        DELETE FROM memory_vectors WHERE memory_id = old.memory_id;
                    END;
                    """)
        }
        // The embedding backlog (docs/search.md): how many memories each cube that names an embedder holds and how
        // many of them have an embedding, so that what is still to embed is read in constant time. Memories added
        // to such a cube are counted when the domain says so, once per batch (a trigger on every insert into every
        // cube cost a fifth of a batched add); deletions, by any path, and embeddings by triggers. Vectors are stored by delete-then-insert: a REPLACE
        // would not run the delete trigger.
        migrator.registerMigration("v8: embedding backlog") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cube_memory_counts (
                        cube_id TEXT PRIMARY KEY NOT NULL,
                        memories INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO cube_memory_counts (cube_id, memories)
                        SELECT cube_id, count(*) FROM memories GROUP BY cube_id;
                    CREATE TRIGGER memories_counted_out AFTER DELETE ON memories BEGIN
                        UPDATE cube_memory_counts SET memories = memories - 1 WHERE cube_id = old.cube_id;
                    END;
                    ALTER TABLE vector_generations ADD COLUMN vectors INTEGER NOT NULL DEFAULT 0;
                    UPDATE vector_generations SET vectors =
                        (SELECT count(*) FROM memory_vectors v WHERE v.cube_id = vector_generations.cube_id);
                    DROP TRIGGER memory_vectors_added;
                    DROP TRIGGER memory_vectors_removed;
                    CREATE TRIGGER memory_vectors_added AFTER INSERT ON memory_vectors BEGIN
                        INSERT INTO vector_generations (cube_id, generation, vectors) VALUES (new.cube_id, 1, 1)
                            ON CONFLICT (cube_id) DO UPDATE SET generation = generation + 1, vectors = vectors + 1;
                    END;
                    CREATE TRIGGER memory_vectors_removed AFTER DELETE ON memory_vectors BEGIN
                        UPDATE vector_generations SET generation = generation + 1, vectors = vectors - 1
                        WHERE cube_id = old.cube_id;
                    END;
                    """)
        }
        // Erasure requests (docs/erasure.md): each a sealed JSON state machine; the subject column is kept only
        // while something of the subject may still be erased. At most one open request per subject. Restrictions
        // of processing (Art. 18), sealed, and covered with the legal holds by the hold registry's digest.
        // Deleting a cube also forgets its embedding counters.
        migrator.registerMigration("v9: erasure requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE erasure_requests (
                        request_id TEXT PRIMARY KEY NOT NULL,
                        subject_id TEXT,
                        state TEXT NOT NULL,
                        document BLOB NOT NULL,
                        receipt BLOB,
                        seal BLOB NOT NULL
                    ) STRICT;
                    CREATE UNIQUE INDEX erasure_requests_open ON erasure_requests(subject_id)
                        WHERE state IN ('received', 'in-progress');
                    CREATE TABLE restrictions (
                        restriction_id TEXT PRIMARY KEY NOT NULL,
                        subject_id TEXT NOT NULL,
                        categories TEXT NOT NULL,
                        purposes TEXT NOT NULL,
                        ground TEXT NOT NULL,
                        request_id TEXT,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL,
                        lifted_by TEXT,
                        lifted_at INTEGER,
                        seal BLOB NOT NULL
                    ) STRICT;
                    CREATE TRIGGER cubes_removed_with_counters AFTER DELETE ON cubes BEGIN
                        DELETE FROM cube_memory_counts WHERE cube_id = old.cube_id;
                        DELETE FROM vector_generations WHERE cube_id = old.cube_id;
                    END;
                    """)
        }
        // Usage against the tenant's quotas: memories and content bytes of current versions, read in constant time.
        // Adds are counted by the insert, once per batch; deletions (any path) and size changes by triggers.
        migrator.registerMigration("v10: tenant usage") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant_usage (
                        id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                        memories INTEGER NOT NULL,
                        bytes INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO tenant_usage (id, memories, bytes)
                        SELECT 1, count(*), coalesce(sum(content_size), 0) FROM memories;
                    CREATE TRIGGER memories_usage_removed AFTER DELETE ON memories BEGIN
                        UPDATE tenant_usage SET memories = memories - 1, bytes = bytes - old.content_size;
                    END;
                    CREATE TRIGGER memories_usage_resized AFTER UPDATE OF content_size ON memories
                    WHEN new.content_size != old.content_size BEGIN
                        UPDATE tenant_usage SET bytes = bytes + new.content_size - old.content_size;
                    END;
                    """)
        }
        // Publishers whose memory modules the tenant installs (docs/portability.md).
        migrator.registerMigration("v11: trusted publishers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE trusted_publishers (
                        publisher_key TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        trusted_by TEXT NOT NULL,
                        trusted_at INTEGER NOT NULL,
                        revoked_at INTEGER,
                        seal BLOB NOT NULL
                    ) STRICT;
                    """)
        }
        return migrator
    }
}
