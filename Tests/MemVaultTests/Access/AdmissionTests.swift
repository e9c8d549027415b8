import Foundation
import MemVaultPolicy
import Testing

@testable import MemVault

/// Before anything is decided or recorded, a request must carry a well-formed actor id and, if it processes
/// personal data, a purpose the tenant's policy declares. The caller's own mistakes are errors, not audit entries:
/// they would only put caller-supplied text into the permanent record.
@Suite("Admission")
struct AdmissionTests {
    private func auditSize(_ fixture: StoreFixture) async throws -> Int {
        // Reading the log is recorded itself; the count is taken before that entry.
        try await fixture.tenant(as: .auditor).auditLog().count - 1
    }

    @Test("resolving a subject and reading consent need a declared purpose; a missing one names the choices")
    func purposeRequired() async throws {
        let fixture = try await StoreFixture.make()
        let alice = try await fixture.tenant().resolveSubject(externalID: "alice")
        let noPurpose = try await fixture.tenant(as: AccessContext(actor: "app", role: .application))
        let unknownPurpose = try await fixture.tenant(
            as: AccessContext(actor: "app", role: .application, purpose: "marketing by e-mail"))
        let before = try await auditSize(fixture)
        for store in [noPurpose, unknownPurpose] {
            for attempt in [
                { _ = try await store.resolveSubject(externalID: "alice", create: false) },
                { _ = try await store.consentHistory(of: alice.id) },
                { _ = try await store.subject(alice.id) },
            ] as [() async throws -> Void] {
                let error = try await #require(throws: MemVaultError.self) { try await attempt() }
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("must declare a purpose"))
                #expect(error.message.contains("data-subject-rights, personalisation, safety, service-delivery"))
            }
        }
        // Nothing was recorded: the entries after `before` are the two log reads of this test's own counting.
        #expect(try await auditSize(fixture) == before + 1)
        // Governance operations take no purpose.
        _ = try await fixture.tenant(as: .auditor).verifyAudit()
    }

    @Test("actor ids have a bounded format: no names, e-mail addresses, spaces or control characters")
    func actorFormat() async throws {
        let fixture = try await StoreFixture.make()
        let before = try await auditSize(fixture)
        for actor in ["", "alice@example.com", "Alice Smith", "a\nb", String(repeating: "x", count: 65), "-leading"] {
            let store = try await fixture.tenant(
                as: AccessContext(actor: actor, role: .application, purpose: "service-delivery"))
            let error = try await #require(throws: MemVaultError.self) {
                _ = try await store.resolveSubject(externalID: "alice")
            }
            #expect(error.code == .invalidArgument && error.message.contains("invalid actor id"), "\(actor)")
            #expect(!error.message.contains("alice@"))
            await #expect(throws: MemVaultError.self) {
                try await fixture.store.createTenant(
                    TenantID("newco"), policy: "default", as: AccessContext(actor: actor, role: .administrator))
            }
        }
        #expect(try await auditSize(fixture) == before + 1)
        for actor in ["svc-1", "cli:alice", "app_2.prod", String(repeating: "x", count: 64)] {
            let store = try await fixture.tenant(
                as: AccessContext(actor: actor, role: .application, purpose: "service-delivery"))
            _ = try await store.resolveSubject(externalID: "alice")
        }
    }
}
