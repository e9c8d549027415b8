import Foundation
import MemVaultPolicy
import Testing

@testable import MemVault

@Suite("Tenant quotas")
struct QuotaTests {
    @Test("usage counts every add, update, archive, deletion and erasure of current versions")
    func usage() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "chat"))
        #expect(try await acme.usage() == TenantUsage(memories: 0, bytes: 0))
        let added = try await acme.addMemories(
            [NewMemory(content: .text("green tea")), NewMemory(content: .text("lives in Lisbon"))], to: cube.id)
        #expect(try await acme.usage() == TenantUsage(memories: 2, bytes: 9 + 15))
        _ = try await acme.updateMemory(added[0].id, MemoryChanges(content: .text("oolong tea, no sugar")))
        #expect(try await acme.usage() == TenantUsage(memories: 2, bytes: 20 + 15))
        _ = try await acme.archiveMemory(added[1].id)
        #expect(try await acme.usage() == TenantUsage(memories: 2, bytes: 20 + 15))
        try await acme.deleteMemory(added[1].id)
        #expect(try await acme.usage() == TenantUsage(memories: 1, bytes: 20))
        let officer = try await fixture.tenant(as: .dataProtectionOfficer)
        let request = try await officer.requestErasure(of: alice.id, requester: .dataSubject, ground: .objection)
        _ = try await officer.runErasure(request.id)
        #expect(try await acme.usage() == TenantUsage(memories: 0, bytes: 0))
        try await fixture.store.close()
    }

    @Test("a write past the memories or bytes quota is refused whole; lifting the quota admits it")
    func enforcement() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "shared"))
        try await fixture.store.setQuotas(
            TenantQuotas(maximumMemories: 3, maximumBytes: 100), for: TenantID("acme"), as: .administrator)
        #expect(acme.quotas.maximumMemories == 3)
        _ = try await acme.addMemories(
            [NewMemory(content: .text("one")), NewMemory(content: .text("two"))], to: cube.id)
        let tooMany = await #expect(throws: MemVaultError.self) {
            _ = try await acme.addMemories(
                [NewMemory(content: .text("three")), NewMemory(content: .text("four"))], to: cube.id)
        }
        #expect(tooMany?.code == .quotaExceeded && tooMany?.message.contains("quota is 3") == true)
        #expect(try await acme.usage().memories == 2)
        let third = try await acme.addMemory(NewMemory(content: .text("three")), to: cube.id)
        let tooBig = await #expect(throws: MemVaultError.self) {
            _ = try await acme.updateMemory(
                third.id, MemoryChanges(content: .text(String(repeating: "x", count: 120))))
        }
        #expect(tooBig?.code == .quotaExceeded)
        #expect(try await acme.memory(third.id).version == 1)

        try await fixture.store.setQuotas(.unlimited, for: TenantID("acme"), as: .administrator)
        _ = try await acme.addMemory(NewMemory(content: .text("four")), to: cube.id)
        #expect(try await acme.usage().memories == 4)

        // Quotas survive a reopen (they are sealed in the catalog entry), and only administrators set them.
        try await fixture.store.setQuotas(
            TenantQuotas(requestsPerSecond: 50), for: TenantID("acme"), as: .administrator)
        let reopened = try await fixture.reopened()
        #expect(try await reopened.tenant(TenantID("acme")).quotas == TenantQuotas(requestsPerSecond: 50))
        let refused = await #expect(throws: MemVaultError.self) {
            try await reopened.setQuotas(.unlimited, for: TenantID("acme"), as: AccessContext.serviceDelivery)
        }
        #expect(refused?.code == .denied)
        let invalid = await #expect(throws: MemVaultError.self) {
            try await reopened.setQuotas(
                TenantQuotas(maximumMemories: 0), for: TenantID("acme"), as: AccessContext.administrator)
        }
        #expect(invalid?.code == .invalidArgument)
        try await reopened.close()
        try await fixture.store.close()
    }
}
