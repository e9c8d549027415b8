import Foundation
import GRDB
import MemVaultPolicy
import Testing

@testable import MemVault

/// An attacker who can edit the database files but holds no master key edits one governance column, row or seal
/// with raw SQL. Every such edit must be answered with `integrity_failure` by the operation that rests on it, never
/// obeyed. Each case first runs its probe on the untouched world (it must not fail its integrity check there), then
/// edits, reopens the store as a new process would, and runs the probe again.
@Suite("Governance state edited outside MemVault")
struct GovernanceTamperTests {
    @Test("every edit is detected", arguments: TamperCase.all)
    func editIsDetected(_ tamperCase: TamperCase) async throws {
        let world = try await TamperWorld.make()
        let before = await run(tamperCase, on: world)
        #expect(before != .integrityFailure, "the probe fails before any edit: \(before)")
        let edit: (Database) throws -> Void = { db in
            for statement in tamperCase.statements(world) { try db.execute(sql: statement) }
        }
        switch tamperCase.database {
        case .tenant: try world.fixture.tamper("acme", edit)
        case .catalog: try world.fixture.tamperCatalog(edit)
        }
        let after = await run(tamperCase, on: world)
        #expect(after == .integrityFailure, "\(tamperCase.name): \(after)")
    }

    /// Opens the store as a new process would, runs the probe and closes the store again.
    private func run(_ tamperCase: TamperCase, on world: TamperWorld) async -> Outcome {
        await Outcome.of {
            let store = try await world.fixture.reopened()
            do {
                try await tamperCase.probe(world, store)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    @Test("the suite covers at least thirty classes of edit, each named once")
    func coverage() {
        #expect(TamperCase.all.count >= 30)
        #expect(Set(TamperCase.all.map(\.name)).count == TamperCase.all.count)
    }
}

/// What a probe came to.
enum Outcome: Equatable, CustomStringConvertible {
    case completed
    case failed(MemVaultError.Code)
    case integrityFailure
    case unexpected(String)

    static func of(_ probe: () async throws -> Void) async -> Outcome {
        do {
            try await probe()
            return .completed
        } catch let error as MemVaultError {
            return error.code == .integrity ? .integrityFailure : .failed(error.code)
        } catch {
            return .unexpected("\(error)")
        }
    }

    var description: String {
        switch self {
        case .completed: "completed"
        case .failed(let code): "failed with \(code)"
        case .integrityFailure: "integrity failure"
        case .unexpected(let error): "unexpected error \(error)"
        }
    }
}

/// One tenant set up through the store, then closed: Alice and Bob, each with a personal cube; a shared cube; a
/// memory of Alice's updated once (so it has a history) with every optional time set; an archived one; a legal
/// hold on Bob's cube and a cleared one on the shared cube; Alice's personalisation consent given then withdrawn,
/// Bob's given; a signed audit checkpoint (kept in the tenant database and in the catalog).
struct TamperWorld: Sendable {
    let fixture: StoreFixture
    let alice: SubjectID
    let bob: SubjectID
    let alicesCube: CubeID
    let alicesOtherCube: CubeID
    let bobsCube: CubeID
    let sharedCube: CubeID
    /// Alice's, at version 2.
    let note: MemoryID
    let archived: MemoryID
    let bobsMemory: MemoryID
    let shared: MemoryID

    static func make() async throws -> TamperWorld {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let acme = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await acme.resolveSubject(externalID: "alice").id
        let bob = try await acme.resolveSubject(externalID: "bob").id
        let alicesCube = try await acme.createCube(NewCube(owner: .subject(alice), name: "alice"))
        let alicesOtherCube = try await acme.createCube(NewCube(owner: .subject(alice), name: "alice 2"))
        let bobsCube = try await acme.createCube(NewCube(owner: .subject(bob), name: "bob"))
        let sharedCube = try await acme.createCube(NewCube(owner: .tenant, name: "shared"))
        let day: TimeInterval = 86_400
        let note = try await acme.addMemory(
            NewMemory(
                content: .text("alice likes tea"), category: "conversation", occurredAt: Date() - day,
                validFrom: Date() - day, validUntil: Date() + 30 * day),
            to: alicesCube.id)
        _ = try await acme.updateMemory(note.id, MemoryChanges(content: .text("alice likes green tea")))
        let archived = try await acme.addMemory(.text("an old note", category: "conversation"), to: alicesCube.id)
        _ = try await acme.archiveMemory(archived.id)
        _ = try await acme.addMemory(.text("a second note", category: "conversation"), to: alicesOtherCube.id)
        let bobsMemory = try await acme.addMemory(.text("bob's note", category: "conversation"), to: bobsCube.id)
        let shared = try await acme.addMemory(.text("opening hours"), to: sharedCube.id)
        _ = try await admin.setHold(on: .cube(bobsCube.id), reason: "case 1")
        let cleared = try await admin.setHold(on: .cube(sharedCube.id), reason: "case 0")
        _ = try await admin.clearHold(cleared.id)
        try await acme.setConsent(.given, subject: alice, purpose: "personalisation", evidence: "form 12")
        try await acme.setConsent(.withdrawn, subject: alice, purpose: "personalisation")
        try await acme.setConsent(.given, subject: bob, purpose: "personalisation", evidence: "form 13")
        _ = try await fixture.tenant(as: .auditor).signAuditCheckpoint()
        try await fixture.store.close()
        return TamperWorld(
            fixture: fixture, alice: alice, bob: bob, alicesCube: alicesCube.id, alicesOtherCube: alicesOtherCube.id,
            bobsCube: bobsCube.id, sharedCube: sharedCube.id, note: note.id, archived: archived.id,
            bobsMemory: bobsMemory.id, shared: shared.id)
    }
}

extension StoreFixture: @unchecked Sendable {}

/// One class of edit: SQL statements on a database and the operation that must refuse to obey the result.
struct TamperCase: Sendable, CustomTestStringConvertible {
    enum Database: Sendable { case tenant, catalog }

    let name: String
    let database: Database
    let statements: @Sendable (TamperWorld) -> [String]
    let probe: @Sendable (TamperWorld, MemoryStore) async throws -> Void

    var testDescription: String { name }

    init(
        _ name: String, in database: Database = .tenant, _ statements: @escaping @Sendable (TamperWorld) -> [String],
        probe: @escaping @Sendable (TamperWorld, MemoryStore) async throws -> Void
    ) {
        self.name = name
        self.database = database
        self.statements = statements
        self.probe = probe
    }

    // MARK: - Probes

    static let readNote: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme")).memory(world.note)
    }

    static let listAlicesCube: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme")).memories(in: .cube(world.alicesCube))
    }

    static let noteHistory: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme")).history(world.note)
    }

    static let readAlicesCube: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme")).cube(world.alicesCube)
    }

    static let listCubes: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { _, store in
        _ = try await store.tenant(TenantID("acme")).cubes()
    }

    static let resolveAlice: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { _, store in
        _ = try await store.tenant(TenantID("acme")).resolveSubject(externalID: "alice", create: false)
    }

    static let readAlice: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme")).subject(world.alice)
    }

    /// Alice withdrew consent for personalisation: reading her memory for it is denied, unless the edit is obeyed.
    static let readNoteForPersonalisation: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme"), as: .personalisation).memory(world.note)
    }

    static let alicesConsentHistory: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        _ = try await store.tenant(TenantID("acme"), as: .dataProtectionOfficer).consentHistory(of: world.alice)
    }

    /// Bob's cube is held: deleting his memory is denied, unless the edit is obeyed.
    static let deleteHeldMemory: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { world, store in
        try await store.tenant(TenantID("acme")).deleteMemory(world.bobsMemory)
    }

    static let listHolds: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { _, store in
        _ = try await store.tenant(TenantID("acme"), as: .administrator).holds(includeCleared: true)
    }

    /// Opening the store verifies the catalog.
    static let openStore: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { _, store in
        _ = try await store.tenants()
    }

    static let verifyAudit: @Sendable (TamperWorld, MemoryStore) async throws -> Void = { _, store in
        let verification = try await store.tenant(TenantID("acme"), as: .auditor).verifyAudit()
        if !verification.isValid { throw MemVaultError(.integrity, verification.problemSummary ?? "invalid") }
    }

    // MARK: - The cases

    static let all: [TamperCase] = memories + history + cubes + subjects + consent + holds + catalog + audit

    private static func memoryColumn(_ column: String, _ value: String) -> TamperCase {
        TamperCase(
            "memories.\(column) changed",
            { ["UPDATE memories SET \(column) = \(value) WHERE memory_id = '\($0.note)'"] }, probe: readNote)
    }

    static let memories: [TamperCase] = [
        memoryColumn("category", "'general'"),
        memoryColumn("status", "'archived'"),
        memoryColumn("memory_type", "'episodic'"),
        memoryColumn("source_kind", "'document'"),
        memoryColumn("content_kind", "'binary'"),
        memoryColumn("content_size", "content_size + 1"),
        memoryColumn("occurred_at", "occurred_at - 1"),
        memoryColumn("valid_from", "NULL"),
        memoryColumn("valid_until", "valid_until + 86400000000"),
        memoryColumn("created_at", "created_at + 1"),
        memoryColumn("updated_at", "updated_at - 1"),
        memoryColumn("supersedes", "NULL"),
        memoryColumn("key_version", "key_version + 1"),
        memoryColumn("version", "version + 1"),
        memoryColumn(
            "cube_id",
            "(SELECT cube_id FROM cubes WHERE cube_id != memories.cube_id AND subject_id = memories.subject_id)"),
        memoryColumn("subject_id", "(SELECT subject_id FROM subjects WHERE subject_id != memories.subject_id)"),
        TamperCase(
            "memories rolled back to an older version's row",
            { world in
                [
                    """
                    UPDATE memories SET (version, supersedes, payload, updated_at) = (SELECT version, supersedes, payload,
                    updated_at FROM memory_history WHERE memory_id = '\(world.note)' AND version = 1)
                    WHERE memory_id = '\(world.note)'
                    """
                ]
            }, probe: readNote),
        TamperCase(
            "memories.payload copied from another memory",
            { world in
                [
                    """
                    UPDATE memories SET payload = (SELECT payload FROM memories WHERE memory_id = '\(world.archived)')
                    WHERE memory_id = '\(world.note)'
                    """
                ]
            }, probe: readNote),
        TamperCase(
            "an archived memory set active again",
            { ["UPDATE memories SET status = 'active' WHERE memory_id = '\($0.archived)'"] }, probe: listAlicesCube),
    ]

    static let history: [TamperCase] = [
        TamperCase(
            "memory_history.category changed",
            { ["UPDATE memory_history SET category = 'general' WHERE memory_id = '\($0.note)'"] }, probe: noteHistory),
        TamperCase(
            "memory_history row deleted",
            { ["DELETE FROM memory_history WHERE memory_id = '\($0.note)'"] }, probe: noteHistory),
        TamperCase(
            "memory_history.version renumbered",
            { ["UPDATE memory_history SET version = 3 WHERE memory_id = '\($0.note)'"] }, probe: noteHistory),
        TamperCase(
            "memory_history.payload replaced by the current version's",
            { world in
                [
                    """
                    UPDATE memory_history SET payload = (SELECT payload FROM memories WHERE memory_id = '\(world.note)')
                    WHERE memory_id = '\(world.note)'
                    """
                ]
            }, probe: noteHistory),
    ]

    private static func cubeColumn(_ column: String, _ value: String) -> TamperCase {
        TamperCase(
            "cubes.\(column) changed", { ["UPDATE cubes SET \(column) = \(value) WHERE cube_id = '\($0.alicesCube)'"] },
            probe: readAlicesCube)
    }

    static let cubes: [TamperCase] = [
        cubeColumn("subject_id", "(SELECT subject_id FROM subjects WHERE subject_id != cubes.subject_id)"),
        cubeColumn("kind", "'knowledge'"),
        cubeColumn("default_category", "'health'"),
        cubeColumn("schema_version", "schema_version + 1"),
        cubeColumn("created_at", "created_at - 1"),
        cubeColumn("key_version", "key_version + 1"),
        TamperCase(
            "a shared cube given an owner",
            { ["UPDATE cubes SET subject_id = '\($0.alice)' WHERE cube_id = '\($0.sharedCube)'"] }, probe: listCubes),
    ]

    static let subjects: [TamperCase] = [
        TamperCase(
            "subjects.pseudonym swapped between two subjects",
            { world in
                [
                    "CREATE TEMP TABLE original AS SELECT subject_id, pseudonym FROM subjects",
                    "UPDATE subjects SET pseudonym = 'parked-' || subject_id",
                    """
                    UPDATE subjects SET pseudonym = (SELECT pseudonym FROM original WHERE subject_id = '\(world.bob)')
                    WHERE subject_id = '\(world.alice)'
                    """,
                    """
                    UPDATE subjects SET pseudonym = (SELECT pseudonym FROM original WHERE subject_id = '\(world.alice)')
                    WHERE subject_id = '\(world.bob)'
                    """,
                ]
            }, probe: resolveAlice),
        TamperCase(
            "subjects.created_at changed",
            { ["UPDATE subjects SET created_at = created_at + 1 WHERE subject_id = '\($0.alice)'"] }, probe: readAlice),
        TamperCase(
            "subjects.external_id copied from another subject",
            { world in
                [
                    """
                    UPDATE subjects SET external_id = (SELECT external_id FROM subjects WHERE subject_id = '\(world.bob)')
                    WHERE subject_id = '\(world.alice)'
                    """
                ]
            }, probe: resolveAlice),
    ]

    static let consent: [TamperCase] = [
        TamperCase(
            "consents.state flipped from withdrawn to given",
            { ["UPDATE consents SET state = 'given' WHERE subject_id = '\($0.alice)'"] },
            probe: readNoteForPersonalisation),
        TamperCase(
            "consents row deleted",
            { ["DELETE FROM consents WHERE subject_id = '\($0.alice)'"] }, probe: readNoteForPersonalisation),
        TamperCase(
            "consents row copied from another subject",
            { world in
                [
                    """
                    UPDATE consents SET (state, changed_at, change_id, seal) = (SELECT state, changed_at, change_id, seal
                    FROM consents WHERE subject_id = '\(world.bob)') WHERE subject_id = '\(world.alice)'
                    """
                ]
            }, probe: readNoteForPersonalisation),
        TamperCase(
            "consents row pointed at the earlier change",
            { world in
                [
                    """
                    UPDATE consents SET (state, changed_at, change_id) = (SELECT state, changed_at, change_id
                    FROM consent_history WHERE subject_id = '\(world.alice)' AND state = 'given')
                    WHERE subject_id = '\(world.alice)'
                    """
                ]
            }, probe: readNoteForPersonalisation),
        TamperCase(
            "consents.changed_at changed",
            { ["UPDATE consents SET changed_at = changed_at + 1 WHERE subject_id = '\($0.alice)'"] },
            probe: readNoteForPersonalisation),
        TamperCase(
            "the newest consent change deleted",
            { world in
                [
                    """
                    DELETE FROM consent_history WHERE subject_id = '\(world.alice)' AND state = 'withdrawn'
                    """
                ]
            }, probe: readNoteForPersonalisation),
        TamperCase(
            "consent_history.state changed",
            { ["UPDATE consent_history SET state = 'refused' WHERE subject_id = '\($0.alice)' AND state = 'given'"] },
            probe: alicesConsentHistory),
        TamperCase(
            "consent_history oldest change deleted",
            { ["DELETE FROM consent_history WHERE subject_id = '\($0.alice)' AND state = 'given'"] },
            probe: alicesConsentHistory),
        TamperCase(
            "consent_history.actor changed",
            { ["UPDATE consent_history SET actor = 'someone-else' WHERE subject_id = '\($0.alice)'"] },
            probe: alicesConsentHistory),
        TamperCase(
            "consent_history.evidence removed",
            { ["UPDATE consent_history SET evidence = NULL, key_version = NULL WHERE subject_id = '\($0.alice)'"] },
            probe: alicesConsentHistory),
        TamperCase(
            "consent_history row moved to another subject",
            { world in
                [
                    """
                    UPDATE consent_history SET subject_id = '\(world.alice)' WHERE subject_id = '\(world.bob)'
                    """
                ]
            }, probe: alicesConsentHistory),
    ]

    static let holds: [TamperCase] = [
        TamperCase(
            "legal_holds active row deleted",
            { _ in ["DELETE FROM legal_holds WHERE cleared_at IS NULL"] }, probe: deleteHeldMemory),
        TamperCase(
            "legal_holds every row and the registry deleted",
            { _ in ["DELETE FROM legal_holds", "DELETE FROM hold_registry"] }, probe: deleteHeldMemory),
        TamperCase(
            "legal_holds active hold marked cleared",
            { _ in
                [
                    """
                    UPDATE legal_holds SET cleared_by = set_by, cleared_at = set_at + 1 WHERE cleared_at IS NULL
                    """
                ]
            }, probe: deleteHeldMemory),
        TamperCase(
            "legal_holds hold moved to another cube",
            { ["UPDATE legal_holds SET target_id = '\($0.sharedCube)' WHERE cleared_at IS NULL"] },
            probe: deleteHeldMemory),
        TamperCase(
            "legal_holds cleared hold revived",
            { _ in ["UPDATE legal_holds SET cleared_by = NULL, cleared_at = NULL"] }, probe: listHolds),
        TamperCase(
            "hold_registry deleted", { _ in ["DELETE FROM hold_registry"] }, probe: deleteHeldMemory),
        TamperCase(
            "hold_registry.generation changed", { _ in ["UPDATE hold_registry SET generation = generation + 1"] },
            probe: deleteHeldMemory),
        TamperCase(
            "hold_registry.digest changed", { _ in ["UPDATE hold_registry SET digest = zeroblob(32)"] },
            probe: deleteHeldMemory),
    ]

    private static func catalogColumn(_ column: String, _ value: String) -> TamperCase {
        TamperCase(
            "catalog tenants.\(column) changed", in: .catalog,
            { _ in ["UPDATE tenants SET \(column) = \(value) WHERE tenant_id = 'acme'"] }, probe: openStore)
    }

    static let catalog: [TamperCase] = [
        catalogColumn("policy", "'healthcare'"),
        catalogColumn("state", "'deleting'"),
        catalogColumn("has_holds", "0"),
        catalogColumn("checkpoint", "NULL"),
        catalogColumn("created_at", "created_at + 1"),
        catalogColumn("quotas", "'memories=1000000;bytes=-;rps=-'"),
        TamperCase(
            "catalog tenant entries' seals swapped", in: .catalog,
            { _ in
                [
                    """
                    UPDATE tenants SET seal = (SELECT seal FROM tenants WHERE tenant_id = 'globex')
                    WHERE tenant_id = 'acme'
                    """
                ]
            }, probe: openStore),
    ]

    static let audit: [TamperCase] = [
        TamperCase(
            "audit_checkpoints of the tenant deleted", { _ in ["DELETE FROM audit_checkpoints"] }, probe: verifyAudit),
        TamperCase(
            "audit_log entries after the checkpoint deleted with the checkpoint",
            { _ in
                [
                    "DELETE FROM audit_log WHERE sequence > (SELECT MIN(size) FROM audit_checkpoints) - 3",
                    "DELETE FROM audit_checkpoints",
                ]
            }, probe: verifyAudit),
    ]
}
