import Foundation
import GRDB
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import Testing

@Suite("Policy enforcement in the store")
struct PolicyEnforcementTests {
    private func expectDenied(
        _ ruleID: String, _ operation: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let error = try await #require(throws: MemVaultError.self, sourceLocation: sourceLocation) {
            try await operation()
        }
        #expect(error.code == .denied, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(ruleID), "\(error)", sourceLocation: sourceLocation)
    }

    @Test("without consent nothing is written or read for a consent purpose; withdrawal applies to the next request")
    func consent() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant(as: .personalisation)
        let alice = try await app.resolveSubject(externalID: "alice")
        // Creating the cube is processing for personalisation too: it needs consent first.
        try await expectDenied("memvault:consent") {
            _ = try await app.createCube(
                NewCube(owner: .subject(alice.id), name: "prefs", defaultCategory: "preferences"))
        }
        try await app.setConsent(.given, subject: alice.id, purpose: "personalisation", evidence: "signup form v3")
        let cube = try await app.createCube(
            NewCube(owner: .subject(alice.id), name: "prefs", defaultCategory: "preferences"))
        let memory = try await app.addMemory(.text("likes jazz"), to: cube.id)
        #expect(try await app.memory(memory.id).content == .text("likes jazz"))

        try await app.setConsent(.withdrawn, subject: alice.id, purpose: "personalisation")
        // The very next request: denied, and the error says why.
        let error = try await #require(throws: MemVaultError.self) { try await app.memory(memory.id) }
        #expect(error.code == .denied && error.message.contains("consent is withdrawn"))
        try await expectDenied("memvault:consent") { _ = try await app.memories(in: .cube(cube.id)) }
        try await expectDenied("memvault:consent") { _ = try await app.addMemory(.text("more"), to: cube.id) }
        // Another context of the same tenant, already open, sees it too.
        let other = try await fixture.store.tenant(TenantID("acme"), as: .personalisation)
        try await expectDenied("memvault:consent") { _ = try await other.memory(memory.id) }
        // A purpose that does not rely on consent is unaffected where the category allows it.
        try await expectDenied("memvault:purpose-limitation") {
            _ = try await fixture.tenant(as: .serviceDelivery).memory(memory.id)
        }

        try await app.setConsent(.renewed, subject: alice.id, purpose: "personalisation")
        #expect(try await app.memory(memory.id).content == .text("likes jazz"))
        let history = try await app.consentHistory(of: alice.id)
        #expect(history.map(\.state) == [.given, .withdrawn, .renewed])
        #expect(history.first?.evidence == "signup form v3" && history.first?.actor == "test-app")
        let badPurpose = try await #require(throws: MemVaultError.self) {
            try await app.setConsent(.given, subject: alice.id, purpose: "marketing")
        }
        #expect(badPurpose.code == .invalidArgument && badPurpose.message.contains("personalisation"))
    }

    @Test("a memory past its category's retention is never returned, before any purge, unless held")
    func retention() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let alice = try await app.resolveSubject(externalID: "alice")
        let cube = try await app.createCube(
            NewCube(owner: .subject(alice.id), name: "chat", defaultCategory: "conversation"))
        // Stored 100 days ago: the store's clock is set back for the write (the storage time is authenticated, so
        // it cannot simply be edited in the file).
        fixture.clock.advance(by: -100 * 86_400)
        let old = try await app.addMemory(.text("said 100 days ago"), to: cube.id)
        fixture.clock.advance(by: 100 * 86_400)
        let recent = try await app.addMemory(.text("said today"), to: cube.id)

        try await expectDenied("memvault:retention") { _ = try await app.memory(old.id) }
        let page = try await app.memories(in: .cube(cube.id))
        #expect(page.items.map(\.id) == [recent.id])
        #expect(
            page.withheld.count == 1 && page.withheld[0].count == 1
                && page.withheld[0].ruleIDs == ["memvault:retention"])
        try await expectDenied("memvault:retention") { _ = try await app.history(old.id) }

        let admin = try await fixture.tenant(as: .administrator)
        let hold = try await admin.setHold(on: .subject(alice.id), reason: "case 2026-17")
        #expect(try await app.memory(old.id).content == .text("said 100 days ago"))
        #expect(try await app.memories(in: .cube(cube.id)).items.count == 2)
        _ = try await admin.clearHold(hold.id)
        try await expectDenied("memvault:retention") { _ = try await app.memory(old.id) }
        // Deleting an expired memory is still allowed: retention limits disclosure, not removal.
        try await app.deleteMemory(old.id)
    }

    @Test("legal holds block deletion of held subjects and cubes, and are confined to their roles")
    func legalHolds() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await app.resolveSubject(externalID: "alice")
        let cube = try await app.createCube(NewCube(owner: .subject(alice.id), name: "c"))
        let memory = try await app.addMemory(.text("evidence"), to: cube.id)
        try await expectDenied("role application may not set legal holds") {
            _ = try await app.setHold(on: .cube(cube.id), reason: "x")
        }
        let hold = try await admin.setHold(on: .cube(cube.id), reason: "litigation hold 42")
        #expect(try await admin.holds().map(\.reason) == ["litigation hold 42"])
        try await expectDenied("memvault:legal-hold") { try await app.deleteMemory(memory.id) }
        try await expectDenied("memvault:legal-hold") { try await app.deleteCube(cube.id) }
        _ = try await admin.clearHold(hold.id)
        #expect(try await admin.holds().isEmpty)
        #expect(try await admin.holds(includeCleared: true).first?.clearedBy == "test-admin")
        try await app.deleteMemory(memory.id)
    }

    @Test("roles, purposes and categories are confined as the policy says")
    func confinement() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let cube = try await app.createCube(NewCube(owner: .tenant, name: "faq", defaultCategory: "general"))
        let memory = try await app.addMemory(.text("shipping takes 3 days"), to: cube.id)
        try await expectDenied("no-content-for-administrators") {
            _ = try await fixture.tenant(as: .administrator).memory(memory.id)
        }
        let auditor = AccessContext(actor: "auditor-1", role: .auditor, purpose: "service-delivery")
        try await expectDenied("no-content-for-auditors") {
            _ = try await fixture.tenant(as: auditor).memory(memory.id)
        }
        try await expectDenied("memvault:unknown-category") {
            _ = try await app.addMemory(.text("x", category: "finance"), to: cube.id)
        }
        let safety = AccessContext(actor: "abuse-bot", role: .application, purpose: "safety")
        try await expectDenied("memvault:purpose-limitation") {
            _ = try await fixture.tenant(as: safety).memory(memory.id)
        }
        // An undeclared purpose is the caller's mistake: refused before anything is decided or recorded.
        let undeclared = try await #require(throws: MemVaultError.self) {
            _ = try await fixture.tenant(as: AccessContext(actor: "x", role: .application, purpose: "ads")).memory(
                memory.id)
        }
        #expect(undeclared.code == .invalidArgument && undeclared.message.contains("unknown purpose 'ads'"))
        #expect(undeclared.message.contains("must declare a purpose the policy 'default' declares"))
        // A rejected batch stores nothing.
        try await expectDenied("memvault:unknown-category") {
            _ = try await app.addMemories([.text("ok"), .text("bad", category: "finance")], to: cube.id)
        }
        #expect(try await app.memories(in: .cube(cube.id)).items.count == 1)
    }

    @Test("each tenant is governed by its own policy")
    func perTenantPolicy() async throws {
        let fixture = try await StoreFixture.make(tenants: [])
        try await fixture.store.createTenant(TenantID("clinic"), policy: "healthcare")
        let clinic = try await fixture.store.tenant(
            TenantID("clinic"), as: AccessContext(actor: "care-bot", role: .application, purpose: "care-assistance"))
        let patient = try await clinic.resolveSubject(externalID: "patient-7")
        try await expectDenied("memvault:explicit-consent") {
            _ = try await clinic.createCube(
                NewCube(owner: .subject(patient.id), name: "symptoms", defaultCategory: "symptoms"))
        }
        try await clinic.setConsent(.given, subject: patient.id, purpose: "care-assistance")
        let cube = try await clinic.createCube(
            NewCube(owner: .subject(patient.id), name: "symptoms", defaultCategory: "symptoms"))
        _ = try await clinic.addMemory(.text("headaches in the morning"), to: cube.id)
        #expect(try await fixture.store.tenantPolicies().map(\.policy) == ["healthcare"])
        let unknown = try await #require(throws: MemVaultError.self) {
            try await fixture.store.createTenant(TenantID("x"), policy: "nonexistent")
        }
        #expect(unknown.code == .policyInvalid)
    }

    @Test("an invalid policy never takes effect: the store refuses to start, a reload keeps the previous policy")
    func invalidPolicies() async throws {
        let folder = try TemporaryFolder()
        let policies = URL(filePath: folder.appending("policies"))
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        let file = policies.appending(path: "default.yaml")
        try FileManager.default.copyItem(at: StoreFixture.policiesFolder.appending(path: "default.yaml"), to: file)
        let installation = try Installation.initialise(at: folder.appending("data"), masterKey: .keyFile(path: nil))
        let registry = PolicyRegistry(folder: policies)
        let store = try await MemoryStore.open(installation, policies: registry)
        try await store.createTenant(TenantID("acme"))
        let revision = try registry.engine("default").revision

        let valid = try String(contentsOf: file, encoding: .utf8)
        try valid.replacingOccurrences(of: "retention: P90D", with: "retention: ninety days")
            .write(to: file, atomically: true, encoding: .utf8)
        let reload = try #require(throws: MemVaultError.self) { try registry.reload() }
        #expect(reload.code == .policyInvalid && reload.message.contains("default.yaml:"))
        #expect(reload.message.contains("invalid duration 'ninety days'"))
        #expect(try registry.engine("default").revision == revision)
        try await store.close()

        let restart = try await #require(throws: MemVaultError.self) {
            try await MemoryStore.open(
                Installation.open(at: folder.appending("data"), masterKey: .keyFile(path: nil)),
                policies: PolicyRegistry(folder: policies))
        }
        #expect(restart.code == .policyInvalid)

        try valid.replacingOccurrences(of: "retention: P90D", with: "retention: P60D")
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try registry.reload()["default"] != revision)
    }
}
