import MemVault
import MemVaultCrypto

/// A tenant's schema on PostgreSQL: the tables of a tenant's SQLite database, column for column, with the same
/// triggers (counters, generations, cascades), so the domain sees the same storage either way. One schema per
/// tenant: isolation by name (an unqualified name resolves to the tenant of the transaction), removal by
/// `DROP SCHEMA … CASCADE`, and per-tenant statistics and vacuum.
enum PostgresTenantSchema {
    /// The schema's name: `t_<tenant>`, or, where that would pass PostgreSQL's 63 bytes, the id's first 40 bytes
    /// and 16 hex digits of its SHA-256, so two tenants never share one.
    static func schema(for tenant: TenantID) -> String {
        let plain = "t_\(tenant.rawValue)"
        guard plain.utf8.count > 63 else { return plain }
        let digest = Hex.encode((try? SHA256.hash(Array(tenant.rawValue.utf8))) ?? [])
        return "t_\(tenant.rawValue.prefix(40))_\(digest.prefix(16))"
    }

    static let migrations = [
        PostgresMigration(
            name: "v1",
            statements: [
                """
                CREATE TABLE subjects (
                    subject_id TEXT PRIMARY KEY,
                    pseudonym TEXT NOT NULL UNIQUE,
                    external_id BYTEA NOT NULL,
                    key_version BIGINT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE cubes (
                    cube_id TEXT PRIMARY KEY,
                    subject_id TEXT REFERENCES subjects (subject_id),
                    kind TEXT NOT NULL,
                    default_category TEXT NOT NULL,
                    schema_version INTEGER NOT NULL,
                    metadata BYTEA NOT NULL,
                    key_version BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX cubes_by_subject ON cubes (subject_id, cube_id)",
                """
                CREATE TABLE memories (
                    memory_id TEXT PRIMARY KEY,
                    cube_id TEXT NOT NULL REFERENCES cubes (cube_id),
                    subject_id TEXT REFERENCES subjects (subject_id),
                    version INTEGER NOT NULL CHECK (version > 0),
                    supersedes INTEGER,
                    status TEXT NOT NULL,
                    memory_type TEXT NOT NULL,
                    category TEXT NOT NULL,
                    source_kind TEXT NOT NULL,
                    content_kind TEXT NOT NULL CHECK (content_kind IN ('text', 'binary')),
                    content_size BIGINT NOT NULL,
                    occurred_at BIGINT,
                    valid_from BIGINT,
                    valid_until BIGINT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    key_version BIGINT NOT NULL,
                    payload BYTEA NOT NULL
                )
                """,
                "CREATE INDEX memories_by_cube ON memories (cube_id, memory_id)",
                "CREATE INDEX memories_by_subject ON memories (subject_id, memory_id)",
                "CREATE INDEX memories_by_category ON memories (category, memory_id)",
                """
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
                    content_size BIGINT NOT NULL,
                    occurred_at BIGINT,
                    valid_from BIGINT,
                    valid_until BIGINT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    key_version BIGINT NOT NULL,
                    payload BYTEA NOT NULL,
                    PRIMARY KEY (memory_id, version)
                )
                """,
                // Consent: the current state per purpose and every change, in the order recorded (`recorded`).
                """
                CREATE TABLE consents (
                    subject_id TEXT NOT NULL REFERENCES subjects (subject_id),
                    purpose TEXT NOT NULL,
                    state TEXT NOT NULL,
                    changed_at BIGINT NOT NULL,
                    change_id TEXT,
                    seal BYTEA,
                    PRIMARY KEY (subject_id, purpose)
                )
                """,
                """
                CREATE TABLE consent_history (
                    change_id TEXT PRIMARY KEY,
                    recorded BIGSERIAL NOT NULL,
                    subject_id TEXT NOT NULL REFERENCES subjects (subject_id),
                    purpose TEXT NOT NULL,
                    state TEXT NOT NULL,
                    changed_at BIGINT NOT NULL,
                    actor TEXT NOT NULL,
                    evidence BYTEA,
                    key_version BIGINT,
                    previous TEXT,
                    seal BYTEA
                )
                """,
                "CREATE INDEX consent_history_by_subject ON consent_history (subject_id, recorded)",
                "CREATE INDEX consent_history_by_purpose ON consent_history (subject_id, purpose, recorded)",
                """
                CREATE TABLE legal_holds (
                    hold_id TEXT PRIMARY KEY,
                    target_kind TEXT NOT NULL CHECK (target_kind IN ('subject', 'cube')),
                    target_id TEXT NOT NULL,
                    reason BYTEA NOT NULL,
                    key_version BIGINT NOT NULL,
                    set_by TEXT NOT NULL,
                    set_at BIGINT NOT NULL,
                    cleared_by TEXT,
                    cleared_at BIGINT,
                    seal BYTEA
                )
                """,
                """
                CREATE INDEX legal_holds_by_target ON legal_holds (target_kind, target_id) WHERE cleared_at IS NULL
                """,
                """
                CREATE TABLE hold_registry (
                    registry INTEGER PRIMARY KEY CHECK (registry = 1),
                    generation BIGINT NOT NULL,
                    digest BYTEA NOT NULL,
                    seal BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE restrictions (
                    restriction_id TEXT PRIMARY KEY,
                    subject_id TEXT NOT NULL,
                    categories TEXT NOT NULL,
                    purposes TEXT NOT NULL,
                    ground TEXT NOT NULL,
                    request_id TEXT,
                    set_by TEXT NOT NULL,
                    set_at BIGINT NOT NULL,
                    lifted_by TEXT,
                    lifted_at BIGINT,
                    seal BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE erasure_requests (
                    request_id TEXT PRIMARY KEY,
                    subject_id TEXT,
                    state TEXT NOT NULL,
                    document BYTEA NOT NULL,
                    receipt BYTEA,
                    seal BYTEA NOT NULL
                )
                """,
                """
                CREATE UNIQUE INDEX erasure_requests_open ON erasure_requests (subject_id)
                    WHERE state IN ('received', 'in-progress')
                """,
                """
                CREATE TABLE trusted_publishers (
                    publisher_key TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    trusted_by TEXT NOT NULL,
                    trusted_at BIGINT NOT NULL,
                    revoked_at BIGINT,
                    seal BYTEA NOT NULL
                )
                """,
            ] + PostgresAuditLogSchema.tables + searchTables + vectorTables + counters + unsampled)
    ]

    /// Every column that holds a subject's identifiers, sealed content or blind terms (`UnsampledColumns`).
    static let unsampled = UnsampledColumns.statements([
        "subjects": ["subject_id", "pseudonym", "external_id"],
        "cubes": ["subject_id", "metadata"],
        "memories": ["subject_id", "payload"],
        "memory_history": ["subject_id", "payload"],
        "consents": ["subject_id", "seal"],
        "consent_history": ["subject_id", "evidence", "seal"],
        "legal_holds": ["target_id", "reason", "seal"],
        "restrictions": ["subject_id", "seal"],
        "erasure_requests": ["subject_id", "document", "receipt", "seal"],
        "search_documents": ["terms", "labels"],
        "search_postings": ["term"],
        "memory_vectors": ["vector"],
        "audit_log": ["entry"],
    ])

    /// Search (docs/search.md, docs/postgres.md): each indexed memory's blind terms (sorted) and labels, numbered
    /// in the order indexed (`doc`, which breaks ties), and one posting per distinct term with its frequency, from
    /// which BM25 is computed in SQL; document count and total length are kept by triggers so a search reads them
    /// in constant time. Deleting a memory, by any path, deletes its entry and postings.
    static let searchTables = [
        """
        CREATE TABLE search_documents (
            memory_id TEXT PRIMARY KEY,
            doc BIGSERIAL NOT NULL UNIQUE,
            terms TEXT NOT NULL,
            labels TEXT NOT NULL,
            length INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE search_postings (
            term TEXT NOT NULL,
            memory_id TEXT NOT NULL REFERENCES search_documents (memory_id) ON DELETE CASCADE,
            frequency INTEGER NOT NULL,
            PRIMARY KEY (term, memory_id)
        )
        """,
        "CREATE INDEX search_postings_by_memory ON search_postings (memory_id)",
        """
        CREATE TABLE search_stats (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            documents BIGINT NOT NULL,
            total_length BIGINT NOT NULL
        )
        """,
        "INSERT INTO search_stats (id, documents, total_length) VALUES (1, 0, 0)",
        """
        CREATE FUNCTION search_documents_counted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE search_stats SET documents = documents + 1, total_length = total_length + NEW.length;
                RETURN NEW;
            END IF;
            UPDATE search_stats SET documents = documents - 1, total_length = total_length - OLD.length;
            RETURN OLD;
        END $$
        """,
        """
        CREATE TRIGGER search_documents_counted AFTER INSERT OR DELETE ON search_documents
            FOR EACH ROW EXECUTE FUNCTION search_documents_counted()
        """,
    ]

    /// Embeddings (docs/search.md): sealed per current version, with a per-cube generation that moves on every
    /// change (a process's cache of opened vectors notices changes made by any process) and a count of the cube's
    /// memories and vectors (the embedding backlog in constant time).
    static let vectorTables = [
        """
        CREATE TABLE memory_vectors (
            memory_id TEXT PRIMARY KEY,
            cube_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            key_version BIGINT NOT NULL,
            vector BYTEA NOT NULL
        )
        """,
        "CREATE INDEX memory_vectors_by_cube ON memory_vectors (cube_id, memory_id)",
        """
        CREATE TABLE vector_generations (
            cube_id TEXT PRIMARY KEY,
            generation BIGINT NOT NULL,
            vectors BIGINT NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE cube_memory_counts (
            cube_id TEXT PRIMARY KEY,
            memories BIGINT NOT NULL
        )
        """,
        """
        CREATE FUNCTION memory_vectors_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO vector_generations (cube_id, generation, vectors) VALUES (NEW.cube_id, 1, 1)
                    ON CONFLICT (cube_id) DO UPDATE
                    SET generation = vector_generations.generation + 1, vectors = vector_generations.vectors + 1;
                RETURN NEW;
            END IF;
            UPDATE vector_generations SET generation = generation + 1, vectors = vectors - 1
                WHERE cube_id = OLD.cube_id;
            RETURN OLD;
        END $$
        """,
        """
        CREATE TRIGGER memory_vectors_changed AFTER INSERT OR DELETE ON memory_vectors
            FOR EACH ROW EXECUTE FUNCTION memory_vectors_changed()
        """,
    ]

    /// Usage against the tenant's quotas, and what deleting a memory or a cube takes with it, by any path.
    static let counters = [
        """
        CREATE TABLE tenant_usage (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            memories BIGINT NOT NULL,
            bytes BIGINT NOT NULL
        )
        """,
        "INSERT INTO tenant_usage (id, memories, bytes) VALUES (1, 0, 0)",
        """
        CREATE FUNCTION memories_removed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM search_documents WHERE memory_id = OLD.memory_id;
            DELETE FROM memory_vectors WHERE memory_id = OLD.memory_id;
            UPDATE cube_memory_counts SET memories = memories - 1 WHERE cube_id = OLD.cube_id;
            UPDATE tenant_usage SET memories = memories - 1, bytes = bytes - OLD.content_size;
            RETURN OLD;
        END $$
        """,
        """
        CREATE TRIGGER memories_removed AFTER DELETE ON memories
            FOR EACH ROW EXECUTE FUNCTION memories_removed()
        """,
        """
        CREATE FUNCTION memories_resized() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE tenant_usage SET bytes = bytes + NEW.content_size - OLD.content_size;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER memories_resized AFTER UPDATE OF content_size ON memories
            FOR EACH ROW WHEN (NEW.content_size <> OLD.content_size) EXECUTE FUNCTION memories_resized()
        """,
        """
        CREATE FUNCTION cubes_removed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM cube_memory_counts WHERE cube_id = OLD.cube_id;
            DELETE FROM vector_generations WHERE cube_id = OLD.cube_id;
            RETURN OLD;
        END $$
        """,
        """
        CREATE TRIGGER cubes_removed AFTER DELETE ON cubes FOR EACH ROW EXECUTE FUNCTION cubes_removed()
        """,
    ]
}
