import Foundation
import MemVaultSQLite
import Testing

@testable import MemVault

/// Two installations opened on one data folder stand for two processes: each has its own key store connection and
/// caches. A key change made by one must be obeyed by the other within the key hierarchy's refresh interval.
@Suite("Key changes seen across processes")
struct CrossProcessKeyTests {
    /// Longer than `KeyHierarchy.Configuration.refreshInterval` (1 ms).
    static let pastRefresh = Duration.milliseconds(20)

    @Test("a subject's keys destroyed by another process stop decryption here, caches included")
    func destroyedKeysStopDecryption() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(NewCube(owner: .subject(alice.id), name: "alice"))
        let memory = try await acme.addMemory(.text("likes tea"), to: cube.id)
        let shared = try await acme.addMemory(
            .text("opening hours"), to: try await acme.createCube(NewCube(owner: .tenant, name: "faq")).id)
        // Warm every cache of this process: subject, cube context, unwrapped keys.
        #expect(try await acme.memory(memory.id).content.text == "likes tea")
        #expect(try await acme.externalID(of: alice.id) == "alice")

        let other = try Installation.open(at: fixture.dataPath, masterKey: fixture.masterKey)
        #expect(try other.keys.destroyDataKeys(TenantID("acme"), owner: .subject(alice.id)) == 1)
        try other.close()
        try await Task.sleep(for: Self.pastRefresh)

        let afterRead = try await #require(throws: MemVaultError.self) { _ = try await acme.memory(memory.id) }
        #expect([.unknownKey, .integrity].contains(afterRead.code), "\(afterRead)")
        await #expect(throws: MemVaultError.self) { _ = try await acme.externalID(of: alice.id) }
        await #expect(throws: MemVaultError.self) {
            _ = try await acme.addMemory(.text("more"), to: cube.id)
        }
        // Nothing else was destroyed with it.
        #expect(try await acme.memory(shared.id).content.text == "opening hours")
    }

    @Test("a tenant key rotated by another process wraps the data keys made here afterwards")
    func rotationSeenHere() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        _ = try await acme.resolveSubject(externalID: "alice")

        let other = try Installation.open(at: fixture.dataPath, masterKey: fixture.masterKey)
        #expect(try other.keys.rotateTenantKey(TenantID("acme")) == 2)
        try other.close()
        try await Task.sleep(for: Self.pastRefresh)

        _ = try await acme.resolveSubject(externalID: "bob")
        let status = try #require(try fixture.installation.keys.status(TenantID("acme")).first)
        let versions = Dictionary(uniqueKeysWithValues: status.tenantKeys.map { ($0.version, $0) })
        #expect(versions[2]?.state == "primary")
        #expect(versions[2]?.dataKeysWrapped == 1, "Bob's key must be wrapped under version 2: \(versions)")
    }
}
