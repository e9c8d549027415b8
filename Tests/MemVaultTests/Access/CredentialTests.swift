import Foundation
import GRDB
import MemVaultAudit
import MemVaultPolicy
import MemVaultTestSupport
import Testing

@testable import MemVault

@Suite("Credentials")
struct CredentialTests {
    static let administrator = AccessContext(actor: "test-admin", role: .administrator)

    @Test("a token authenticates as its credential's tenant, role and purposes; only a keyed hash is stored")
    func authenticate() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store
        let issued = try await store.createCredential(
            NewCredential(tenant: TenantID("acme"), role: .application, purposes: ["personalisation"]),
            as: Self.administrator)
        #expect(issued.token.hasPrefix("mvk_cred_") && issued.token.count == 4 + 31 + 1 + 43)
        let credential = try await store.authenticate(token: issued.token)
        #expect(credential == issued.credential && credential.tenant?.rawValue == "acme")
        #expect(credential.role == .application && credential.purposes == ["personalisation"])
        // The context comes from the credential; a purpose it is not limited to is refused.
        let context = try credential.context(purpose: "personalisation")
        #expect(context.actor == credential.id && context.role == .application)
        #expect(try credential.context(purpose: nil).purpose == "personalisation")
        #expect(throws: MemVaultError.self) { try credential.context(purpose: "service-delivery") }

        // The secret is in no file; the credential is recorded in the installation log.
        let secret = String(issued.token.split(separator: ".")[1])
        #expect(MarkerScanner(markers: [secret, issued.token]).scan(try filesUnder(fixture.dataPath)) == [])
        let entries = try await store.installationAudit(as: .auditor).entries()
        #expect(entries.last?.action == .credential && entries.last?.detail?.contains(credential.id) == true)
    }

    @Test("a wrong secret, an unknown id, a malformed token, a revoked or expired credential: one refusal")
    func refusals() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store
        let issued = try await store.createCredential(
            NewCredential(tenant: TenantID("acme"), role: .auditor), as: Self.administrator)
        let other = try await store.createCredential(
            NewCredential(tenant: nil, role: .administrator, expiresAt: Date().addingTimeInterval(3_600)),
            as: Self.administrator)
        var wrongSecret = Array(issued.token)
        wrongSecret[wrongSecret.count - 2] = wrongSecret[wrongSecret.count - 2] == "A" ? "B" : "A"
        let unknownID =
            "mvk_" + (try SortableIdentifier.make(prefix: "cred_")) + "." + issued.token.split(separator: ".")[1]
        for token in [String(wrongSecret), unknownID, "mvk_", "Bearer x", issued.token + "x", "mvk_cred_x.y"] {
            let refused = await #expect(throws: MemVaultError.self) { try await store.authenticate(token: token) }
            #expect(refused?.code == .unauthenticated, "\(token.prefix(12))")
            #expect(refused?.message == "the credential is malformed, unknown, revoked or expired")
        }
        // Revocation takes effect at the next request.
        #expect(try await store.authenticate(token: issued.token).id == issued.credential.id)
        let revoked = try await store.revokeCredential(issued.credential.id, as: Self.administrator)
        #expect(revoked.revokedBy == "test-admin")
        await #expect(throws: MemVaultError.self) { try await store.authenticate(token: issued.token) }
        // Expiry too.
        #expect(try await store.authenticate(token: other.token).tenant == nil)
        fixture.clock.advance(by: 3_601)
        await #expect(throws: MemVaultError.self) { try await store.authenticate(token: other.token) }
    }

    @Test("a credential edited in the catalog, or of a deleted tenant, is refused")
    func tampering() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let store = fixture.store
        let issued = try await store.createCredential(
            NewCredential(tenant: TenantID("acme"), role: .auditor), as: Self.administrator)
        try fixture.tamperCatalog { db in
            try db.execute(sql: "UPDATE credentials SET role = 'administrator'")
        }
        await #expect(throws: MemVaultError.self) { try await store.authenticate(token: issued.token) }
        try fixture.tamperCatalog { db in
            try db.execute(sql: "UPDATE credentials SET role = 'auditor', tenant_id = 'globex'")
        }
        await #expect(throws: MemVaultError.self) { try await store.authenticate(token: issued.token) }
        try fixture.tamperCatalog { db in try db.execute(sql: "UPDATE credentials SET tenant_id = 'acme'") }
        #expect(try await store.authenticate(token: issued.token).role == .auditor)

        try await store.deleteTenant(TenantID("acme"))
        await #expect(throws: MemVaultError.self) { try await store.authenticate(token: issued.token) }
    }

    @Test("bad requests for credentials are refused with clear errors; listing filters by scope")
    func validation() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store
        let unknownPurpose = await #expect(throws: MemVaultError.self) {
            try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application, purposes: ["nosuch"]),
                as: Self.administrator)
        }
        #expect(unknownPurpose?.message.contains("declared purposes are") == true)
        let installationApp = await #expect(throws: MemVaultError.self) {
            try await store.createCredential(NewCredential(tenant: nil, role: .application), as: Self.administrator)
        }
        #expect(installationApp?.code == .invalidArgument)
        let unknownTenant = await #expect(throws: MemVaultError.self) {
            try await store.createCredential(
                NewCredential(tenant: TenantID("nosuch"), role: .application), as: Self.administrator)
        }
        #expect(unknownTenant?.code == .unknownTenant)
        let past = await #expect(throws: MemVaultError.self) {
            try await store.createCredential(
                NewCredential(tenant: TenantID("acme"), role: .application, expiresAt: Date(timeIntervalSince1970: 0)),
                as: Self.administrator)
        }
        #expect(past?.code == .invalidArgument)
        _ = try await store.createCredential(NewCredential(tenant: nil, role: .auditor), as: Self.administrator)
        _ = try await store.createCredential(
            NewCredential(tenant: TenantID("acme"), role: .application), as: Self.administrator)
        #expect(try await store.credentials(as: Self.administrator).count == 2)
        #expect(try await store.credentials(installationOnly: true, as: Self.administrator).map(\.role) == [.auditor])
        #expect(try await store.credentials(tenant: TenantID("acme"), as: .auditor).map(\.role) == [.application])
    }
}
