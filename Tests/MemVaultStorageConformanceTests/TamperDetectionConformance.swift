import Foundation
import MemVault
import MemVaultPolicy
import Testing

/// A backend stores what the domain seals; it must give back exactly that, so that state written around the store
/// (by someone with access to the database, here through the backend's own protocol) is refused, never obeyed.
@Suite("Storage conformance: state written around the store is refused")
struct TamperDetectionConformance {
    static let administrator = AccessContext(
        actor: "conformance-admin", role: .administrator, purpose: "service-delivery")
    static let serviceDelivery = AccessContext(actor: "conformance", role: .application, purpose: "service-delivery")
    static let personalisation = AccessContext(actor: "conformance", role: .application, purpose: "personalisation")

    @Test(
        "edited memories, forged consent, cleared holds and a rebound policy are integrity failures",
        arguments: BackendUnderTest.all)
    func writesAroundTheStore(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let acme = try TenantID("acme")
        var store = try await harness.store()
        try await store.createTenant(acme, policy: "default", as: Self.administrator)
        let app = try await store.tenant(acme, as: Self.serviceDelivery)
        let alice = try await app.resolveSubject(externalID: "alice")
        let cube = try await app.createCube(NewCube(owner: .subject(alice.id), name: "alice"))
        let edited = try await app.addMemory(
            NewMemory(content: .text("likes tea"), category: "conversation"), to: cube.id)
        let consented = try await app.addMemory(
            NewMemory(content: .text("prefers mornings"), category: "conversation"), to: cube.id)
        let heldCube = try await app.createCube(NewCube(owner: .tenant, name: "held"))
        let held = try await app.addMemory(.init(content: .text("contract")), to: heldCube.id)
        try await app.setConsent(.withdrawn, subject: alice.id, purpose: "personalisation")
        let hold = try await store.tenant(acme, as: Self.administrator).setHold(on: .cube(heldCube.id), reason: "case")
        try await store.close()

        // Around the store: the backend's own writes, with no key.
        let raw = try await harness.anotherProcess()
        let storage = try await raw.tenantStorage(acme)
        try await storage.unitOfWork { transaction in
            var record = try #require(try transaction.memory(edited.id)?.current)
            record.fields.category = "general"
            #expect(try transaction.updateCurrent(record))
            let previous = try transaction.consent(subject: alice.id, purpose: "personalisation").latestChange
            let (change, state) = try Records.consentChange(
                alice.id, purpose: "personalisation", state: .given, previous: previous)
            try transaction.recordConsent(change, current: state)
            let stored = try #require(try transaction.hold(hold.id))
            #expect(
                try transaction.updateHold(
                    LegalHoldRecord(
                        id: stored.id, target: stored.target, reason: stored.reason, keyVersion: stored.keyVersion,
                        setBy: stored.setBy, setAt: stored.setAt, clearedBy: "attacker", clearedAt: Records.now,
                        seal: stored.seal)))
        }
        try await raw.close()

        store = try await MemoryStore.open(
            keys: harness.keys, backend: try await harness.anotherProcess(), policies: Harness.policies)
        func expectIntegrityFailure(_ body: () async throws -> Void) async {
            let error = await #expect(throws: MemVaultError.self) { try await body() }
            #expect(error?.code == .integrity, "\(String(describing: error))")
        }
        await expectIntegrityFailure { _ = try await store.tenant(acme, as: Self.serviceDelivery).memory(edited.id) }
        await expectIntegrityFailure { _ = try await store.tenant(acme, as: Self.personalisation).memory(consented.id) }
        await expectIntegrityFailure { try await store.tenant(acme, as: Self.serviceDelivery).deleteMemory(held.id) }
        try await store.close()

        // The catalog too: a tenant rebound to another policy, with its old seal.
        let catalog = try await harness.anotherProcess()
        try await catalog.catalog.unitOfWork { transaction in
            let entry = try #require(try transaction.tenantEntry(acme))
            try transaction.saveTenantEntry(
                TenantEntryRecord(
                    tenant: acme, state: entry.state, policy: "healthcare", createdAt: entry.createdAt,
                    hasHolds: entry.hasHolds, checkpoint: entry.checkpoint, seal: entry.seal))
        }
        await expectIntegrityFailure {
            _ = try await MemoryStore.open(keys: harness.keys, backend: catalog, policies: Harness.policies)
        }
        try await catalog.close()
        try await harness.close()
    }
}
