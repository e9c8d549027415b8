import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultPostgresTestSupport
import MemVaultTestSupport
import PostgresNIO
import Testing

@testable import MemVaultPostgres

/// The forensic test of erasure on PostgreSQL: every stored artefact of one subject among thousands of memories,
/// looked for byte by byte in every file of the database (tables, indexes, TOAST, the system catalogs with their
/// statistics) after a checkpoint has written all pages out. The write-ahead log is measured: it must hold no
/// plaintext; the ciphertext it still holds is covered by the destroyed key.
@Suite("PostgreSQL: erasure leaves nothing behind in the database's files")
struct PostgresErasureForensicTests {
    static let policies = PolicyRegistry(
        folder: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "Policies"))

    /// Raw SQL against the test database, as someone with the database's files or a superuser would have it.
    struct Database {
        let workers: PostgresWorkers
        let schema: String

        func rows(_ sql: String, _ values: String...) async throws -> [Columns] {
            let bindings = Self.bindings(values)
            return try await workers.run { connection in
                try connection.rows(PostgresQuery(unsafeSQL: sql, binds: bindings), "forensic probe")
                    .map { Columns($0.makeRandomAccess(), what: "forensic probe") }
            }
        }

        func execute(_ sql: String, _ values: String...) async throws {
            let bindings = Self.bindings(values)
            try await workers.run { connection in
                try connection.execute(PostgresQuery(unsafeSQL: sql, binds: bindings), "forensic probe")
            }
        }

        static func bindings(_ values: [String]) -> PostgresBindings {
            var bindings = PostgresBindings()
            for value in values { bindings.append(value) }
            return bindings
        }

        func table(_ name: String) -> String { "\(SQLName.quoted(schema)).\(name)" }

        /// Every page written out, then every byte of every file of this database.
        func files() async throws -> [String: [UInt8]] {
            try await execute("CHECKPOINT")
            let location = try await rows(
                """
                SELECT current_setting('data_directory') || '/base/' || oid AS folder
                FROM pg_database WHERE datname = current_database()
                """)
            let folder = try location[0]["folder", as: String.self]
            #expect(
                FileManager.default.isReadableFile(atPath: folder),
                "the test reads the database's files: run it on the machine of the test cluster")
            return try filesUnder(folder)
        }

        /// The write-ahead log's position, and the bytes of the segments between two positions.
        func walPosition() async throws -> String {
            try await rows("SELECT pg_current_wal_lsn()::text AS lsn")[0]["lsn", as: String.self]
        }

        func walSegments(from start: String, to end: String) async throws -> [String: [UInt8]] {
            let segments = try await rows(
                """
                SELECT current_setting('data_directory') || '/pg_wal/' || name AS path, size
                FROM pg_ls_waldir()
                WHERE name >= pg_walfile_name($1::pg_lsn) AND name <= pg_walfile_name($2::pg_lsn)
                """, start, end)
            var files: [String: [UInt8]] = [:]
            for segment in segments {
                let path = try segment["path", as: String.self]
                files[path] = Array(try Data(contentsOf: URL(filePath: path)))
            }
            return files
        }

        func walBytes(from start: String, to end: String) async throws -> Int64 {
            try await rows("SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::bigint AS bytes", start, end)[0][
                "bytes", as: Int64.self]
        }

        /// Dead row versions physically left in each table erasure rewrites (counted by `pgstattuple`, which reads
        /// the pages: the statistics views' counts are estimates that a rewrite does not reset).
        func deadTuples() async throws -> [String: Int64] {
            try await execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            var dead: [String: Int64] = [:]
            for name in PostgresTenantStorage.purgedTables {
                dead[name] = try await rows(
                    "SELECT (pgstattuple('\(table(name))'::regclass)).dead_tuple_count::bigint AS dead"
                )[0]["dead", as: Int64.self]
            }
            return dead
        }

        /// A dump of rows as JSON documents, restorable with `restore`: what a logical backup keeps.
        func dump(_ table: String, subject: SubjectID) async throws -> [String] {
            try await rows(
                "SELECT to_jsonb(t)::text AS row FROM \(self.table(table)) t WHERE subject_id = $1", subject.rawValue
            )
            .map { try $0["row", as: String.self] }
        }

        func restore(_ table: String, _ dumped: [String]) async throws {
            for row in dumped {
                try await execute(
                    "INSERT INTO \(self.table(table)) SELECT * FROM jsonb_populate_record(NULL::\(self.table(table)), $1::jsonb)",
                    row)
            }
        }
    }

    /// Everything stored of `subject`, read raw from the tables.
    static func artefacts(of subject: SubjectID, in database: Database) async throws -> NeedleSet {
        var needles = NeedleSet()
        let id = subject.rawValue
        for row in try await database.rows(
            "SELECT memory_id, payload FROM \(database.table("memories")) WHERE subject_id = $1", id)
        {
            needles.add(blob: "payload of \(try row["memory_id", as: String.self])", try row.bytes("payload"))
        }
        for row in try await database.rows(
            "SELECT memory_id, payload FROM \(database.table("memory_history")) WHERE subject_id = $1", id)
        {
            needles.add(
                blob: "superseded payload of \(try row["memory_id", as: String.self])", try row.bytes("payload"))
        }
        for row in try await database.rows(
            """
            SELECT v.memory_id, v.vector FROM \(database.table("memory_vectors")) v
            JOIN \(database.table("memories")) m USING (memory_id) WHERE m.subject_id = $1
            """, id)
        {
            needles.add(blob: "vector of \(try row["memory_id", as: String.self])", try row.bytes("vector"))
        }
        for row in try await database.rows(
            """
            SELECT DISTINCT p.term FROM \(database.table("search_postings")) p
            JOIN \(database.table("memories")) m USING (memory_id) WHERE m.subject_id = $1
            """, id)
        {
            let term = try row["term", as: String.self]
            needles.add("blind term \(term)", Array(term.utf8))
        }
        let subjectRow = try #require(
            try await database.rows(
                "SELECT pseudonym, external_id FROM \(database.table("subjects")) WHERE subject_id = $1", id
            ).first)
        needles.add(blob: "sealed external id", try subjectRow.bytes("external_id"))
        needles.add("subject pseudonym", Array(try subjectRow["pseudonym", as: String.self].utf8))
        needles.add("subject id", Array(subject.rawValue.utf8))
        for row in try await database.rows(
            "SELECT evidence FROM \(database.table("consent_history")) WHERE subject_id = $1 AND evidence IS NOT NULL",
            id)
        {
            needles.add(blob: "consent evidence", try row.bytes("evidence"))
        }
        for row in try await database.rows(
            "SELECT metadata FROM \(database.table("cubes")) WHERE subject_id = $1", id)
        {
            needles.add(blob: "cube metadata", try row.bytes("metadata"))
        }
        for row in try await database.rows(
            "SELECT wrapped_key FROM memvault_keys.data_keys WHERE owner = $1", "subject:\(subject.rawValue)")
        {
            needles.add(blob: "wrapped data key", try row.bytes("wrapped_key"))
        }
        return needles
    }

    @Test("after erasure no file of the database holds the subject's ciphertext, vectors, terms, keys or identifiers")
    func forensic() async throws {
        let url = try await TestPostgresServer.freshDatabase()
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-pg-forensic-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let installation = try PostgresInstallation.initialise(
            url: url, masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        defer { installation.close() }
        let store = try await MemoryStore.open(installation, policies: Self.policies, threads: 4)
        let acme = try TenantID("acme")
        let administrator = AccessContext(actor: "test-admin", role: .administrator, purpose: "service-delivery")
        try await store.createTenant(acme, policy: "default", as: administrator)
        let app = try await store.tenant(
            acme, as: AccessContext(actor: "test-app", role: .application, purpose: "service-delivery"))
        let officer = try await store.tenant(
            acme, as: AccessContext(actor: "test-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights"))
        let workers = PostgresWorkers(url: url, threads: 1, logger: Logger(label: "forensic"))
        let database = Database(workers: workers, schema: PostgresTenantSchema.schema(for: acme))

        let names = ["alice", "bob", "carol", "dave"]
        var subjects: [String: SubjectID] = [:]
        var memories: [String: [MemoryID]] = [:]
        let start = try await database.walPosition()
        for name in names {
            let subject = try await app.resolveSubject(externalID: "\(name)@example.com").id
            subjects[name] = subject
            try await officer.setConsent(.given, subject: subject, purpose: "personalisation", evidence: "form \(name)")
            let cube = try await app.createCube(
                NewCube(owner: .subject(subject), name: name, defaultCategory: "conversation", embeddingDimension: 8))
            for batch in 0..<4 {
                memories[name, default: []] += try await app.addMemories(
                    (0..<250).map { index in
                        NewMemory(
                            content: .text("\(name) remembers okapi\(name) number \(batch * 250 + index) and tea"),
                            tags: ["tag\(name)"], embedding: (0..<8).map { _ in Float.random(in: -1...1) })
                    }, to: cube.id
                ).map(\.id)
            }
        }
        // Updates leave superseded versions in the history and dead row versions in the tables.
        for memory in memories["alice"]!.prefix(50) {
            _ = try await app.updateMemory(memory, MemoryChanges(content: .text("alice revised okapialice note")))
        }
        #expect(try await app.search(SearchQuery("okapialice", in: .subject(subjects["alice"]!))).hits.count == 10)
        // Statistics, as autovacuum would gather them: sampled column values land in pg_statistic.
        try await database.execute("ANALYZE")
        let alice = subjects["alice"]!
        let artefacts = try await Self.artefacts(of: alice, in: database)
        #expect(artefacts.count > 2_500, "\(artefacts.count) artefacts recorded")
        #expect(!artefacts.scan(try await database.files()).isEmpty, "the probe finds them before erasure")
        // A logical backup of the subject's rows, taken before the erasure.
        let backup = (
            subjects: try await database.dump("subjects", subject: alice),
            cubes: try await database.dump("cubes", subject: alice),
            memories: try await database.dump("memories", subject: alice)
        )

        let erasing = officer
        let deadBefore = try await database.deadTuples()
        let beforeErasure = try await database.walPosition()
        // A reader whose snapshot predates the erasure (a report, a backup) is still open when the erasure cleans
        // the files: the clean-up must wait for it, or the rows it can still see are copied into the new files.
        let reader = PostgresWorkers(url: url, threads: 1, logger: Logger(label: "forensic reader"))
        let schema = database.schema
        let report = Task {
            try await reader.run { connection in
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ", "a long report")
                try connection.execute(
                    PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(SQLName.quoted(schema)).memories"), "a long report"
                )
                try connection.execute("SELECT pg_sleep(2)", "a long report")
                try connection.execute("COMMIT", "a long report")
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let request = try await erasing.requestErasure(of: alice, requester: .dataSubject, ground: .consentWithdrawn)
        let done = try await erasing.runErasure(request.id)
        try await report.value
        await reader.shutdown()
        #expect(done.state == .completed && done.erasedTotal == 1_000)
        let afterErasure = try await database.walPosition()

        // Every byte of every file of the database, after a checkpoint wrote every page out.
        let files = try await database.files()
        #expect(artefacts.scan(files) == [])
        let plaintext = MarkerScanner(markers: ["okapialice", "alice@example.com", "form alice"])
        #expect(plaintext.scan(files) == [])
        // The tables were rewritten; the one version left is the erasure request's before its receipt was stored,
        // after the rewrite (it names no subject: the scan above holds).
        let deadAfter = try await database.deadTuples()
        #expect(deadAfter.filter { $0.value > 0 } == ["erasure_requests": 1], "\(deadAfter)")
        // The write-ahead log since the test began holds no plaintext; what it holds of the subject (ciphertext,
        // blind terms and its wrapped key) is what crypto-shredding covers, measured here.
        let wal = try await database.walSegments(from: start, to: afterErasure)
        #expect(!wal.isEmpty)
        #expect(plaintext.scan(wal) == [])
        let inWAL = artefacts.scan(wal).count
        let erasureWAL = try await database.walBytes(from: beforeErasure, to: afterErasure)
        #expect(erasureWAL > 0)
        print(
            """
            forensic (PostgreSQL): \(artefacts.count) artefacts of the subject; dead row versions \(deadBefore.values.reduce(0, +)) before \
            the erasure, \(deadAfter.values.reduce(0, +)) after; the erasure wrote \(erasureWAL) bytes of WAL; the WAL since the test \
            began holds \(inWAL) of the artefacts (ciphertext, blind terms, the wrapped key) and no plaintext
            """)

        // The others are intact and searchable; the log verifies.
        for name in names.dropFirst() {
            let found = try await app.search(SearchQuery("okapi\(name)", in: .subject(subjects[name]!), limit: 5))
            #expect(found.hits.count == 5, "\(name)")
            #expect(
                try await app.memory(memories[name]![7]).content
                    == .text("\(name) remembers okapi\(name) number 7 and tea"))
        }
        #expect(
            try await store.tenant(acme, as: AccessContext(actor: "test-auditor", role: .auditor)).verifyAudit()
                .isValid)

        // The backup restored next to today's key store: the erased subject's memories cannot be decrypted.
        try await database.restore("subjects", backup.subjects)
        try await database.restore("cubes", backup.cubes)
        try await database.restore("memories", backup.memories)
        let unreadable = await #expect(throws: MemVaultError.self) { try await officer.memory(memories["alice"]![3]) }
        #expect(unreadable?.code == .unknownKey, "\(String(describing: unreadable))")
        try await store.close()
        await workers.shutdown()
    }
}
