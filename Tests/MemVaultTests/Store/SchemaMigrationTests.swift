import Foundation
import GRDB
import MemVaultSQLite
import Testing

@testable import MemVault

@Suite("Schema migrations")
struct SchemaMigrationTests {
    private static func schema(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
    }

    @Test("a database at schema v1 opens, upgrades to the current schema and keeps its data")
    func upgradeFromV1() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "from v1"))
        let memory = try await acme.addMemory(.text("written before versions existed"), to: cube.id)
        try await fixture.store.close()

        // Turn the file into exactly what a v1 binary wrote, and check that against a fresh v1 database.
        try fixture.tamper { db in
            try db.execute(
                sql: """
                    DROP TABLE trusted_publishers;
                    DROP TRIGGER memories_usage_resized;
                    DROP TRIGGER memories_usage_removed;
                    DROP TABLE tenant_usage;
                    DROP TRIGGER cubes_removed_with_counters;
                    DROP TABLE restrictions;
                    DROP TABLE erasure_requests;
                    DROP TRIGGER memories_counted_out;
                    DROP TABLE cube_memory_counts;
                    DROP TRIGGER memories_removed_with_vectors;
                    DROP TABLE memory_vectors;
                    DROP TABLE vector_generations;
                    DROP TRIGGER memories_removed_from_search;
                    DROP TABLE search_documents;
                    DROP TABLE search_state;
                    DROP TABLE search_index;
                    DROP TABLE audit_log;
                    DROP TABLE audit_checkpoints;
                    DROP TABLE consent_history;
                    DROP TABLE consents;
                    DROP TABLE legal_holds;
                    DROP TABLE hold_registry;
                    DROP INDEX memories_by_subject;
                    DROP TABLE memory_history;
                    ALTER TABLE memories DROP COLUMN supersedes;
                    DELETE FROM grdb_migrations WHERE identifier IN ('v2', 'v3', 'v4', 'v5', 'v6: search index', 'v7: embeddings',
                        'v8: embedding backlog', 'v9: erasure requests', 'v10: tenant usage', 'v11: trusted publishers');
                    """)
        }
        let reference = try DatabaseQueue()
        try TenantSchema.migrator.migrate(reference, upTo: "v1")
        let referenceSchema = try await reference.read { try Self.schema($0) }
        var downgradedSchema: [String] = []
        try fixture.tamper { db in downgradedSchema = try Self.schema(db) }
        #expect(downgradedSchema == referenceSchema)

        let upgraded = try await fixture.reopened().tenant(TenantID("acme"))
        #expect(try await upgraded.memory(memory.id) == memory)
        // The backlog's counts start from the memories already there.
        var counted: Int?
        try fixture.tamper { db in
            counted = try Int.fetchOne(
                db, sql: "SELECT memories FROM cube_memory_counts WHERE cube_id = ?", arguments: [cube.id.rawValue])
        }
        #expect(counted == 1)
        // So does the tenant's usage.
        #expect(try await upgraded.usage() == TenantUsage(memories: 1, bytes: 31))
        let second = try await upgraded.updateMemory(memory.id, MemoryChanges(content: .text("now versioned")))
        #expect(second.version == 2)
        #expect(try await upgraded.history(memory.id).map(\.version) == [1, 2])
        let current = try DatabaseQueue()
        try TenantSchema.migrator.migrate(current)
        var upgradedSchema: [String] = []
        try fixture.tamper { db in upgradedSchema = try Self.schema(db) }
        let currentSchema = try await current.read { try Self.schema($0) }
        #expect(upgradedSchema == currentSchema)
    }
}
