import Foundation
import MemVaultAudit
import MemVaultPolicy
import Testing

@testable import MemVault

/// `docs/role-matrix.md` is the contract: every operation against every role, with its outcome. These tests parse
/// the table and run every cell against a fresh store; a permit must succeed and record a permit, a deny must fail
/// with `denied` and record a denial in the right log.
@Suite("Role matrix")
struct RoleMatrixTests {
    static let matrixFile = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "docs/role-matrix.md")

    enum Expected: String, Sendable { case permit, deny }

    struct Row: Sendable {
        let operation: StoreOperation
        let decidedBy: String
        let outcomes: [Role: Expected]
    }

    /// The table's rows, keyed by operation; the header must name every role.
    static func matrix() throws -> [StoreOperation: Row] {
        let lines = try String(contentsOf: matrixFile, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("|") }
        func cells(_ line: Substring) -> [String] {
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let header = lines.first.map(cells), header.count == 2 + Role.allCases.count else {
            throw MatrixError("the table's header must have StoreOperation, Decided by and one column per role")
        }
        let roles = try header.dropFirst(2).map { name in
            guard let role = Role(rawValue: name) else { throw MatrixError("unknown role column '\(name)'") }
            return role
        }
        var rows: [StoreOperation: Row] = [:]
        for line in lines.dropFirst(2) {
            let row = cells(line)
            let name = row[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            guard let operation = StoreOperation(rawValue: name) else {
                throw MatrixError("unknown operation '\(name)'")
            }
            guard rows[operation] == nil else { throw MatrixError("'\(name)' is listed twice") }
            var outcomes: [Role: Expected] = [:]
            for (role, cell) in zip(roles, row.dropFirst(2)) {
                guard let expected = Expected(rawValue: cell) else { throw MatrixError("'\(name)': cell '\(cell)'") }
                outcomes[role] = expected
            }
            rows[operation] = Row(operation: operation, decidedBy: row[1], outcomes: outcomes)
        }
        return rows
    }

    struct MatrixError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test("the table lists every operation once and every role, and says how each is decided")
    func tableIsComplete() throws {
        let rows = try Self.matrix()
        #expect(Set(rows.keys) == Set(StoreOperation.allCases))
        for (operation, row) in rows {
            #expect(Set(row.outcomes.keys) == Set(Role.allCases), "\(operation)")
            switch operation.authority {
            case .roles(let roles):
                #expect(row.decidedBy == "role", "\(operation)")
                // A role-confined operation's cells are its role set, whatever the policy.
                for role in Role.allCases {
                    #expect(row.outcomes[role] == (roles.contains(role) ? .permit : .deny), "\(operation) \(role)")
                }
            case .policy(let action):
                #expect(row.decidedBy == "policy: \(action.rawValue)", "\(operation)")
            }
        }
    }

    @Test("every cell holds against the store, and is recorded", arguments: StoreOperation.allCases)
    func cell(_ operation: StoreOperation) async throws {
        let row = try #require(try Self.matrix()[operation])
        for role in Role.allCases {
            let expected = try #require(row.outcomes[role])
            let world = try await MatrixWorld.make()
            let context = MatrixWorld.context(for: role)
            let outcome = await Outcome.of { try await world.run(operation, as: context) }
            let entries = try await world.entries(recordedFor: operation, actor: context.actor)
            if expected == .permit {
                // A data folder has no other server to move a tenant to: permitted and recorded, then refused.
                let completion: Outcome = operation == .moveTenant ? .failed(.invalidArgument) : .completed
                #expect(outcome == completion, "\(operation) as \(role): \(outcome)")
                #expect(entries.last?.effect == .permit, "\(operation) as \(role): \(entries)")
            } else {
                #expect(outcome == .failed(.denied), "\(operation) as \(role): \(outcome)")
                #expect(entries.last?.effect == .deny, "\(operation) as \(role): \(entries)")
                #expect(entries.last?.action == operation.auditAction)
            }
            try await world.fixture.store.close()
        }
    }
}

/// A tenant with what every operation needs: Alice with a cube holding a memory, a held shared cube, a rotated
/// tenant key (so version 1 can be retired once data keys are re-wrapped).
struct MatrixWorld {
    let fixture: StoreFixture
    let alice: SubjectID
    let cube: CubeID
    let memory: MemoryID
    let hold: String
    /// The tenant's shared cube the hold is on, with a memory.
    let shared: CubeID
    /// A cube the way another installation exported it.
    let arriving: PortableCube
    /// A module ("guide") packed by acme, whose own signing key acme trusts; and the module "faq", installed.
    let module: [UInt8]
    /// A cube that names an embedder, with a memory waiting to be embedded.
    let embedded: CubeID
    /// Alice's profile memories restricted, and a request to erase her, both filed by the officer.
    let restriction: String
    let erasure: String
    /// An application credential of acme, made by the administrator.
    let credential: String

    static func context(for role: Role) -> AccessContext {
        let purpose =
            switch role {
            case .application, .administrator: "service-delivery"
            case .dataProtectionOfficer, .auditor: "data-subject-rights"
            }
        return AccessContext(actor: "matrix-\(role.rawValue)", role: role, purpose: purpose)
    }

    static func make() async throws -> MatrixWorld {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "alice"))
        let memory = try await acme.addMemory(.text("likes tea", category: "conversation"), to: cube.id)
        let held = try await acme.createCube(NewCube(owner: .tenant, name: "held"))
        _ = try await acme.addMemory(.text("opening hours 9-5"), to: held.id)
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        let arriving = PortableCube(
            name: "faq", createdAt: day, subjectExternalID: nil,
            memories: [
                PortableMemory(
                    id: try MemoryID.make().rawValue,
                    versions: [
                        PortableVersion(
                            version: 1, category: "general", content: .text("faq"), createdAt: day, updatedAt: day)
                    ])
            ])
        let hold = try await admin.setHold(on: .cube(held.id), reason: "case 7")
        try await admin.rotateTenantKey()
        let embedded = try await acme.createCube(
            NewCube(
                owner: .subject(alice.id), name: "embedded", embeddingDimension: WordCountEmbedder.words.count,
                embedder: "word-count"))
        _ = try await acme.addMemory(.text("likes coffee", category: "conversation"), to: embedded.id)
        let officer = try await fixture.tenant(as: .dataProtectionOfficer)
        let restriction = try await officer.restrictProcessing(
            of: alice.id, categories: ["profile"], ground: .accuracyContested)
        let erasure = try await officer.requestErasure(of: alice.id, requester: .dataSubject, ground: .objection)
        let credential = try await fixture.store.createCredential(
            NewCredential(tenant: TenantID("acme"), role: .application),
            as: AccessContext(actor: "matrix-setup", role: .administrator))
        let publisher = try await fixture.tenant(as: .administrator)
        _ = try await publisher.trustPublisher(key: try publisher.portabilityKeys().signer, name: "acme itself")
        let faq = try await publisher.packModule(held.id, name: "faq", version: "1.0.0", license: "CC0-1.0")
        _ = try await publisher.installModule(faq.bytes)
        let guide = try await publisher.packModule(held.id, name: "guide", version: "1.0.0", license: "CC0-1.0")
        return MatrixWorld(
            fixture: fixture, alice: alice.id, cube: cube.id, memory: memory.id, hold: hold.id, shared: held.id,
            arriving: arriving, module: guide.bytes, embedded: embedded.id,
            restriction: restriction.id, erasure: erasure.id, credential: credential.credential.id)
    }

    /// Runs `operation` as `context`. A list whose every item was withheld counts as denied.
    func run(_ operation: StoreOperation, as context: AccessContext) async throws {
        let store = fixture.store
        let acme = try TenantID("acme")
        let tenant = { try await store.tenant(acme, as: context) }
        switch operation {
        case .createTenant: try await store.createTenant(TenantID("newco"), policy: "default", as: context)
        case .listTenants: _ = try await store.tenants(as: context)
        case .setTenantPolicy: try await store.setPolicy("healthcare", for: acme, as: context)
        case .setTenantQuotas:
            try await store.setQuotas(TenantQuotas(maximumMemories: 10_000), for: acme, as: context)
        case .deleteTenant: try await store.deleteTenant(acme, as: context)
        case .moveTenant: _ = try await store.moveTenant(acme, to: "primary", as: context)
        case .readKeyStatus: _ = try await store.keyStatus(as: context)
        case .createCredential:
            _ = try await store.createCredential(NewCredential(tenant: acme, role: .auditor), as: context)
        case .listCredentials: _ = try await store.credentials(as: context)
        case .revokeCredential: _ = try await store.revokeCredential(credential, as: context)
        case .rotateTenantKey: try await tenant().rotateTenantKey()
        case .rewrapDataKeys: try await tenant().rewrapDataKeys()
        case .retireTenantKey:
            try await fixture.tenant(as: .administrator).rewrapDataKeys()
            try await tenant().retireTenantKey(version: 1)
        case .resolveSubject: _ = try await tenant().resolveSubject(externalID: "alice", create: false)
        case .readSubject: _ = try await tenant().subject(alice)
        case .readExternalID: _ = try await tenant().externalID(of: alice)
        case .createCube: _ = try await tenant().createCube(NewCube(owner: .subject(alice), name: "new"))
        case .readCube: _ = try await tenant().cube(cube)
        case .listCubes:
            let page = try await tenant().cubes()
            if page.items.isEmpty, !page.withheld.isEmpty { throw MemVaultError(.denied, "every cube withheld") }
        case .deleteCube: try await tenant().deleteCube(cube)
        case .addMemories: _ = try await tenant().addMemory(.text("more", category: "conversation"), to: cube)
        case .readMemory: _ = try await tenant().memory(memory)
        case .listMemories: _ = try await tenant().memories(in: .cube(cube))
        case .searchMemories:
            let results = try await tenant().search(SearchQuery("tea", in: .cubes([cube])))
            if results.hits.isEmpty, !results.withheld.isEmpty { throw MemVaultError(.denied, "every match withheld") }
        case .embedMemories:
            let pass = try await tenant().embedAwaiting(in: embedded, with: WordCountEmbedder())
            if pass.embedded == 0, pass.withheld > 0 { throw MemVaultError(.denied, "every memory withheld") }
        case .readEmbeddingBacklog: _ = try await tenant().embeddingBacklog(embedded)
        case .resetEmbeddings: _ = try await tenant().reembed(embedded)
        case .readHistory: _ = try await tenant().history(memory)
        case .updateMemory: _ = try await tenant().updateMemory(memory, MemoryChanges(content: .text("green tea")))
        case .archiveMemory: _ = try await tenant().archiveMemory(memory)
        case .deleteMemory: try await tenant().deleteMemory(memory)
        case .migrateCube:
            _ = try await tenant().exportCube(
                shared, as: Transfer(.outbound, format: "memvault-bundle", platform: "memvault"))
        case .exportCube:
            _ = try await tenant().exportCube(cube, as: Transfer(.outbound, format: "memos-dump", platform: "memos"))
        case .exportSubject: _ = try await tenant().exportSubject(alice)
        case .trustPublisher:
            _ = try await tenant().trustPublisher(key: String(repeating: "ab", count: 32), name: "vendor")
        case .signModule: _ = try await tenant().signModule(module)
        case .installModule: _ = try await tenant().installModule(module)
        case .uninstallModule: _ = try await tenant().uninstallModule("faq")
        case .listModules: _ = try await tenant().modules()
        case .importCube:
            _ = try await tenant().importCube(
                arriving, as: Transfer(.inbound, format: "memvault-bundle", platform: "memvault"), contentHash: "00")
        case .recordConsent: try await tenant().setConsent(.given, subject: alice, purpose: "personalisation")
        case .readConsent: _ = try await tenant().consentHistory(of: alice)
        case .setHold: _ = try await tenant().setHold(on: .cube(cube), reason: "case 8")
        case .clearHold: _ = try await tenant().clearHold(hold)
        case .listHolds: _ = try await tenant().holds()
        case .sweepRetention: _ = try await tenant().sweepRetention(dryRun: true)
        case .restrictProcessing:
            _ = try await tenant().restrictProcessing(of: alice, categories: ["health"], ground: .legalClaims)
        case .liftRestriction: _ = try await tenant().liftRestriction(restriction)
        case .listRestrictions: _ = try await tenant().restrictions()
        case .requestErasure:
            _ = try await tenant().requestErasure(of: alice, requester: .dataSubject, ground: .objection)
        case .extendErasure: _ = try await tenant().extendErasure(erasure)
        case .readErasure: _ = try await tenant().erasureRequest(erasure)
        case .runErasure: _ = try await tenant().runErasure(erasure)
        case .readAuditLog: _ = try await tenant().auditLog()
        case .verifyAuditLog: _ = try await tenant().verifyAudit()
        case .proveAuditLog: _ = try await tenant().auditInclusionProof(sequence: 1)
        case .signAuditCheckpoint: _ = try await tenant().signAuditCheckpoint()
        case .readVerifierKey: _ = try await tenant().auditVerifierKey()
        }
    }

    /// The entries `actor` left in the log `operation` is recorded in: the installation's for installation
    /// operations and key events, the tenant's otherwise (read as an auditor, after the fact).
    func entries(recordedFor operation: StoreOperation, actor: String) async throws -> [AuditEntry] {
        let inInstallationLog =
            operation.isInstallationOperation || operation.auditAction == .key
        let entries =
            if inInstallationLog {
                try await fixture.store.installationAudit(as: .auditor).entries()
            } else {
                try await fixture.tenant(as: .auditor).auditLog()
            }
        return entries.filter { $0.actor == actor }
    }
}
