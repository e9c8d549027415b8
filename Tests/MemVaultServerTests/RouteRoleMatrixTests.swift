import Foundation
import MemVault
import MemVaultPolicy
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Every route against a credential of every role, of a tenant and of the installation. What a role may do is the
/// library's (docs/role-matrix.md, checked against the store by `RoleMatrixTests`); this checks that each route
/// asks the store for the operation it names, as the credential's role, and answers a refusal as 403 `denied`.
@Suite("HTTP API: every role × every route")
struct RouteRoleMatrixTests {
    /// What a route needs, made afresh for each call by the library (as its owner would), so no call sees another's
    /// effects.
    struct Fixture {
        let subject: String
        let cube: String
        let memory: String
        let hold: String
        let restriction: String
        let erasure: String
        let completedErasure: String
        let credential: String
        let checkpoint: String
        /// A tenant of its own, to be deleted.
        let spareTenant: String
        /// A tenant key version of acme no data key depends on any more (made only for the route that retires one).
        let retirableKeyVersion: UInt32
        /// acme's recipient key, and a bundle sealed to acme by another tenant (made only for the import route).
        let recipient: String
        let bundle: Data
        /// A tenant-shared cube of acme; and modules by spare, whose signer acme trusts: "faq" installed at 1.0.0
        /// with its 1.1.0 beside it, and "guide", not installed (made only for the module routes).
        let sharedCube: String
        let upgrade: Data
        let guide: Data
        /// The installed module's name (each fixture's own: they share one store).
        let moduleName: String
    }

    /// A route: the store operation it performs (nil: any authenticated credential of the tenant), and the request.
    struct Route: Sendable, CustomStringConvertible {
        let name: String
        let operation: StoreOperation?
        let installationOnly: Bool
        let request: @Sendable (Fixture) -> (method: String, path: String, body: Any?)

        var description: String { name }

        init(
            _ name: String, _ operation: StoreOperation?, installationOnly: Bool = false,
            _ request: @escaping @Sendable (Fixture) -> (method: String, path: String, body: Any?)
        ) {
            self.name = name
            self.operation = operation
            self.installationOnly = installationOnly
            self.request = request
        }
    }

    static let routes: [Route] = [
        Route("whoami", nil) { _ in ("GET", "v1/whoami", nil) },
        Route("list tenants", .listTenants, installationOnly: true) { _ in ("GET", "v1/tenants", nil) },
        Route("create tenant", .createTenant, installationOnly: true) { _ in
            ("POST", "v1/tenants", ["id": "t\(UInt32.random(in: 0...UInt32.max))"])
        },
        Route("set tenant policy", .setTenantPolicy, installationOnly: true) { _ in
            ("PUT", "v1/tenants/acme/policy", ["policy": "default"])
        },
        Route("set tenant quotas", .setTenantQuotas, installationOnly: true) { _ in
            ("PUT", "v1/tenants/acme/quotas", ["maximumMemories": 1_000_000])
        },
        Route("usage", nil) { _ in ("GET", "v1/usage", nil) },
        Route("key status", .readKeyStatus) { _ in ("GET", "v1/keys", nil) },
        Route("rotate tenant key", .rotateTenantKey) { _ in ("POST", "v1/tenants/acme/keys/rotate", nil) },
        Route("rewrap data keys", .rewrapDataKeys) { _ in ("POST", "v1/tenants/acme/keys/rewrap", nil) },
        Route("retire tenant key", .retireTenantKey) { f in
            ("POST", "v1/tenants/acme/keys/\(f.retirableKeyVersion)/retire", nil)
        },
        Route("delete tenant", .deleteTenant, installationOnly: true) { f in
            ("DELETE", "v1/tenants/\(f.spareTenant)", nil)
        },
        Route("list credentials", .listCredentials) { _ in ("GET", "v1/credentials", nil) },
        Route("create credential", .createCredential) { _ in
            ("POST", "v1/credentials", ["tenant": "acme", "role": "application"])
        },
        Route("revoke credential", .revokeCredential) { f in ("DELETE", "v1/credentials/\(f.credential)", nil) },
        Route("resolve subject", .resolveSubject) { _ in
            ("POST", "v1/subjects/resolve", ["externalId": "user-\(UUID())"])
        },
        Route("get subject", .readSubject) { f in ("GET", "v1/subjects/\(f.subject)", nil) },
        Route("list subject memories", .listMemories) { f in ("GET", "v1/subjects/\(f.subject)/memories", nil) },
        Route("consent history", .readConsent) { f in ("GET", "v1/subjects/\(f.subject)/consent", nil) },
        Route("set consent", .recordConsent) { f in
            ("PUT", "v1/subjects/\(f.subject)/consent/personalisation", ["state": "given"])
        },
        Route("list cubes", .listCubes) { f in ("GET", "v1/cubes?subject=\(f.subject)", nil) },
        Route("create cube", .createCube) { f in
            ("POST", "v1/cubes", ["subject": f.subject, "name": "more", "defaultCategory": "conversation"])
        },
        Route("get cube", .readCube) { f in ("GET", "v1/cubes/\(f.cube)", nil) },
        Route("delete cube", .deleteCube) { f in ("DELETE", "v1/cubes/\(f.cube)", nil) },
        Route("list cube memories", .listMemories) { f in ("GET", "v1/cubes/\(f.cube)/memories", nil) },
        Route("add memories", .addMemories) { f in
            ("POST", "v1/cubes/\(f.cube)/memories", ["memories": [["text": "likes jasmine tea"]]])
        },
        Route("get memory", .readMemory) { f in ("GET", "v1/memories/\(f.memory)", nil) },
        Route("update memory", .updateMemory) { f in ("PATCH", "v1/memories/\(f.memory)", ["tags": ["tea"]]) },
        Route("delete memory", .deleteMemory) { f in ("DELETE", "v1/memories/\(f.memory)", nil) },
        Route("memory history", .readHistory) { f in ("GET", "v1/memories/\(f.memory)/history", nil) },
        Route("archive memory", .archiveMemory) { f in ("POST", "v1/memories/\(f.memory)/archive", nil) },
        Route("search", .searchMemories) { f in ("POST", "v1/search", ["query": "tea", "subject": f.subject]) },
        Route("list holds", .listHolds) { _ in ("GET", "v1/holds", nil) },
        Route("set hold", .setHold) { f in ("POST", "v1/holds", ["cube": f.cube, "reason": "case 12"]) },
        Route("clear hold", .clearHold) { f in ("POST", "v1/holds/\(f.hold)/clear", nil) },
        Route("list restrictions", .listRestrictions) { _ in ("GET", "v1/restrictions", nil) },
        Route("restrict processing", .restrictProcessing) { f in
            ("POST", "v1/restrictions", ["subject": f.subject, "ground": "legal-claims"])
        },
        Route("lift restriction", .liftRestriction) { f in ("POST", "v1/restrictions/\(f.restriction)/lift", nil) },
        Route("list erasure requests", .readErasure) { _ in ("GET", "v1/erasure-requests", nil) },
        Route("request erasure", .requestErasure) { f in
            ("POST", "v1/erasure-requests", ["subject": f.subject, "ground": "objection"])
        },
        Route("get erasure request", .readErasure) { f in ("GET", "v1/erasure-requests/\(f.erasure)", nil) },
        Route("run erasure", .runErasure) { f in ("POST", "v1/erasure-requests/\(f.erasure)/run", nil) },
        Route("extend erasure", .extendErasure) { f in ("POST", "v1/erasure-requests/\(f.erasure)/extend", nil) },
        Route("erasure receipt", .readErasure) { f in
            ("GET", "v1/erasure-requests/\(f.completedErasure)/receipt", nil)
        },
        Route("sweep retention", .sweepRetention) { _ in ("POST", "v1/retention/sweep", ["dryRun": true]) },
        Route("audit entries", .readAuditLog) { _ in ("GET", "v1/audit/entries", nil) },
        Route("verify audit", .verifyAuditLog) { _ in ("POST", "v1/audit/verify", [String: Any]()) },
        Route("sign checkpoint", .signAuditCheckpoint) { _ in ("POST", "v1/audit/checkpoints", nil) },
        Route("verifier key", .readVerifierKey) { _ in ("GET", "v1/audit/key", nil) },
        Route("inclusion proof", .proveAuditLog) { _ in ("GET", "v1/audit/proofs/inclusion/1", nil) },
        Route("consistency proof", .proveAuditLog) { f in
            ("POST", "v1/audit/proofs/consistency", ["checkpoint": f.checkpoint])
        },
        Route("portability keys", nil) { _ in ("GET", "v1/portability/keys", nil) },
        Route("export bundle", .migrateCube) { f in ("POST", "v1/cubes/\(f.cube)/bundle", ["recipient": f.recipient]) },
        Route("import bundle", .importCube) { f in ("POST", "v1/bundles", f.bundle) },
        Route("export subject", .exportSubject) { f in ("GET", "v1/subjects/\(f.subject)/export", nil) },
        Route("import MemOS dump", .importCube) { _ in
            (
                "POST", "v1/imports/memos",
                [
                    "category": "conversation", "externalId": "memos-user",
                    "textualMemory": [
                        [
                            "id": "m1",
                            "payload": [
                                "id": "m1", "memory": "likes jazz",
                                "metadata": ["created_at": ISO8601Milliseconds.format(Date())],
                            ],
                        ]
                    ],
                ]
            )
        },
        Route("import mem0 export", .importCube) { _ in
            (
                "POST", "v1/imports/mem0",
                [
                    "category": "conversation",
                    "memories": [
                        "results": [
                            [
                                "id": "x1", "memory": "likes chess", "user_id": "mem0-user",
                                "created_at": ISO8601Milliseconds.format(Date()),
                            ]
                        ]
                    ],
                ]
            )
        },
        Route("export MemOS dump", .exportCube) { f in ("POST", "v1/cubes/\(f.cube)/memos-dump", nil) },
        Route("pack module", .migrateCube) { f in
            ("POST", "v1/cubes/\(f.sharedCube)/module", ["name": "notes", "version": "1.0.0", "license": "CC0-1.0"])
        },
        Route("list modules", .listModules) { _ in ("GET", "v1/modules", nil) },
        Route("trust publisher", .trustPublisher) { _ in
            ("POST", "v1/modules/publishers", ["key": String(repeating: "ef", count: 32), "name": "someone"])
        },
        Route("install module", .installModule) { f in ("POST", "v1/modules/install", f.guide) },
        Route("upgrade module", .installModule) { f in ("POST", "v1/modules/upgrade", f.upgrade) },
        Route("sign module", .signModule) { f in ("POST", "v1/modules/sign", f.guide) },
        Route("uninstall module", .uninstallModule) { f in ("DELETE", "v1/modules/\(f.moduleName)", nil) },
        Route("processing records", nil) { _ in ("GET", "v1/policy/records", nil) },
        Route("explain", nil) { _ in
            ("POST", "v1/policy/explain", ["action": "read", "purpose": "personalisation", "consent": "given"])
        },
    ]

    @Test("the routes here are every operation of the OpenAPI document but health, readiness and metrics")
    func everyOperation() throws {
        let document = try String(
            contentsOf: URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appending(path: "docs/openapi.yaml"), encoding: .utf8)
        let operations = document.split(separator: "\n").filter { $0.contains("operationId:") }
        #expect(operations.count == Self.routes.count + 3)
        #expect(Set(Self.routes.map(\.name)).count == Self.routes.count)
    }

    static let administrator = AccessContext(actor: "matrix-setup", role: .administrator)
    static let operator_ = AccessContext(actor: "matrix-operator", role: .administrator, purpose: "service-delivery")

    /// The purpose each role declares: its own work's.
    static func purpose(of role: Role) -> String {
        role == .dataProtectionOfficer ? "data-subject-rights" : "service-delivery"
    }

    /// What the library decides for `route` as a tenant credential of `role`.
    static func permitted(_ route: Route, role: Role, engine: PolicyEngine) -> Bool {
        guard let operation = route.operation else { return true }
        if route.installationOnly { return false }
        switch operation.authority {
        case .roles(let roles): return roles.contains(role)
        case .policy(let action):
            return engine.decide(
                AccessRequest(
                    action: action, role: role, purpose: purpose(of: role), category: "conversation", storedAt: .now)
            ).isPermitted
        }
    }

    static func fixture(_ store: MemoryStore, completedErasure: String, for route: Route) async throws -> Fixture {
        let acme = try TenantID("acme")
        let app = try await store.tenant(
            acme, as: AccessContext(actor: "matrix-app", role: .application, purpose: "service-delivery"))
        let officer = try await store.tenant(
            acme, as: AccessContext(actor: "matrix-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights"))
        let subject = try await app.resolveSubject(externalID: "user-\(UUID())")
        let cube = try await app.createCube(
            NewCube(owner: .subject(subject.id), name: "chat", defaultCategory: "conversation"))
        let memory = try await app.addMemory(NewMemory(content: .text("prefers green tea")), to: cube.id)
        // A sealed migration of the subject's cube needs its consent for the policy's required purposes.
        try await officer.setConsent(.given, subject: subject.id, purpose: "service-delivery")
        let hold = try await store.tenant(acme, as: operator_).setHold(on: .cube(cube.id), reason: "case 7")
        // The hold is cleared again so deleting the cube or memory is not refused for it.
        _ = try await store.tenant(acme, as: operator_).clearHold(hold.id)
        let held = try await store.tenant(acme, as: operator_).setHold(
            on: .subject(try await app.resolveSubject(externalID: "held-\(UUID())").id), reason: "case 8")
        let restriction = try await officer.restrictProcessing(
            of: subject.id, categories: ["profile"], ground: .accuracyContested)
        let erasure = try await officer.requestErasure(of: subject.id, requester: .dataSubject, ground: .objection)
        let credential = try await store.createCredential(
            NewCredential(tenant: acme, role: .application), as: administrator)
        let checkpoint = try await store.tenant(acme, as: AccessContext(actor: "matrix-auditor", role: .auditor))
            .signAuditCheckpoint()
        let spare = try TenantID("spare-\(UInt32.random(in: 0...UInt32.max))")
        try await store.createTenant(spare, as: administrator)
        var retirable: UInt32 = 0
        if route.operation == .retireTenantKey {
            let keys = try await store.tenant(acme, as: administrator)
            retirable = try await keys.primaryKeyVersion()
            try await keys.rotateTenantKey()
            try await keys.rewrapDataKeys()
        }
        let recipient = try await store.tenant(acme, as: administrator).portabilityKeys().recipient
        var bundle = Data()
        if route.operation == .importCube {
            let author = try await store.tenant(
                spare, as: AccessContext(actor: "matrix-app", role: .application, purpose: "service-delivery"))
            let shared = try await author.createCube(NewCube(owner: .tenant, name: "faq"))
            _ = try await author.addMemories(
                [NewMemory(content: .text("opening hours"), category: "general")], to: shared.id)
            bundle = Data(try await store.tenant(spare, as: operator_).exportBundle(shared.id, to: recipient).bytes)
        }
        let shared = try await app.createCube(NewCube(owner: .tenant, name: "notes", defaultCategory: "conversation"))
        _ = try await app.addMemory(NewMemory(content: .text("office opens at nine")), to: shared.id)
        var (upgrade, guide) = (Data(), Data())
        let moduleName = "faq-\(UInt32.random(in: 0...UInt32.max))"
        if route.name.hasSuffix(" module") {
            let author = try await store.tenant(
                spare, as: AccessContext(actor: "matrix-app", role: .application, purpose: "service-delivery"))
            let publisher = try await store.tenant(spare, as: operator_)
            let faq = try await author.createCube(NewCube(owner: .tenant, name: "faq"))
            _ = try await author.addMemory(
                NewMemory(content: .text("returns are free"), category: "general"), to: faq.id)
            let acmeOperator = try await store.tenant(acme, as: operator_)
            _ = try await acmeOperator.trustPublisher(key: try publisher.portabilityKeys().signer, name: "spare")
            let first = try await publisher.packModule(faq.id, name: moduleName, version: "1.0.0", license: "CC0-1.0")
            if route.name != "pack module" { _ = try await acmeOperator.installModule(first.bytes) }
            upgrade = Data(
                try await publisher.packModule(faq.id, name: moduleName, version: "1.1.0", license: "CC0-1.0").bytes)
            guide = Data(
                try await publisher.packModule(
                    faq.id, name: "\(moduleName)-guide", version: "1.0.0", license: "CC0-1.0"
                )
                .bytes)
        }
        return Fixture(
            subject: subject.id.rawValue, cube: cube.id.rawValue, memory: memory.id.rawValue, hold: held.id,
            restriction: restriction.id, erasure: erasure.id, completedErasure: completedErasure,
            credential: credential.credential.id, checkpoint: checkpoint,
            spareTenant: spare.rawValue, retirableKeyVersion: retirable, recipient: recipient, bundle: bundle,
            sharedCube: shared.id.rawValue, upgrade: upgrade, guide: guide, moduleName: moduleName)
    }

    /// An erasure carried out to its receipt, once per test (each run cleans the files, which takes a while).
    static func completedErasure(_ store: MemoryStore) async throws -> String {
        let acme = try TenantID("acme")
        let app = try await store.tenant(
            acme, as: AccessContext(actor: "matrix-app", role: .application, purpose: "service-delivery"))
        let officer = try await store.tenant(
            acme, as: AccessContext(actor: "matrix-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights"))
        let gone = try await app.resolveSubject(externalID: "gone")
        let request = try await officer.requestErasure(of: gone.id, requester: .dataSubject, ground: .objection)
        return try await officer.runErasure(request.id).id
    }

    @Test(
        "a tenant's credential of each role: permitted routes succeed, the others answer 403 denied",
        arguments: ServerBackend.allCases, Role.allCases)
    func tenantCredential(_ backend: ServerBackend, _ role: Role) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let engine = try await store.tenant(TenantID("acme"), as: Self.administrator).policyEngine()
            let completed = try await Self.completedErasure(store)
            let token = try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: role), as: Self.administrator
            ).token
            for route in Self.routes {
                let fixture = try await Self.fixture(store, completedErasure: completed, for: route)
                let (method, path, body) = route.request(fixture)
                let answer = try await request(
                    URL(string: path, relativeTo: base)!, method: method, token: token,
                    purpose: Self.purpose(of: role), json: body)
                if Self.permitted(route, role: role, engine: engine) {
                    #expect((200..<300).contains(answer.status), "\(route) as \(role): \(answer.body)")
                } else {
                    #expect(answer.status == 403, "\(route) as \(role): \(answer.status) \(answer.body)")
                    #expect(answer.body["code"] as? String == "denied", "\(route) as \(role)")
                }
            }
        }
    }

    @Test(
        "an installation credential manages tenants and credentials and reads its own log, never a tenant's data",
        arguments: ServerBackend.allCases)
    func installationCredentials(_ backend: ServerBackend) async throws {
        try await withServer(on: backend) { store, base in
            try await store.createTenant(TenantID("acme"), policy: "default", as: Self.administrator)
            let completed = try await Self.completedErasure(store)
            let installationRoutes: Set<String> = [
                "whoami", "list tenants", "create tenant", "delete tenant", "set tenant policy", "set tenant quotas",
                "list credentials",
                "create credential", "revoke credential", "key status", "rotate tenant key", "rewrap data keys",
                "retire tenant key", "audit entries", "verify audit", "sign checkpoint",
                "verifier key", "inclusion proof", "consistency proof",
            ]
            for role in [Role.administrator, .auditor] {
                let token = try await store.createCredential(
                    NewCredential(tenant: nil, role: role), as: Self.administrator
                ).token
                let installationCheckpoint = try await store.installationAudit(
                    as: AccessContext(actor: "matrix-auditor", role: .auditor)
                ).signCheckpoint()
                for route in Self.routes {
                    let fixture = try await Self.fixture(store, completedErasure: completed, for: route)
                    var (method, path, body) = route.request(fixture)
                    if route.name == "consistency proof" { body = ["checkpoint": installationCheckpoint] }
                    let answer = try await request(
                        URL(string: path, relativeTo: base)!, method: method, token: token, json: body)
                    let permitted =
                        installationRoutes.contains(route.name)
                        && route.operation.map { operation in
                            guard case .roles(let roles) = operation.authority else { return false }
                            return roles.contains(role)
                        } ?? true
                    if permitted {
                        #expect((200..<300).contains(answer.status), "\(route) as \(role): \(answer.body)")
                    } else {
                        #expect(answer.status == 403, "\(route) as \(role): \(answer.status) \(answer.body)")
                        #expect(answer.body["code"] as? String == "denied", "\(route) as \(role)")
                    }
                }
            }
        }
    }
}
