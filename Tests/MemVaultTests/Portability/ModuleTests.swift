import Foundation
import GRDB
import MemVaultAudit
import MemVaultCrypto
import Testing

@testable import MemVault

/// Memory modules: packed by a publisher, installed only from a trusted one as a read-only shared cube, upgraded by
/// an atomic switch, uninstalled without residue.
@Suite("Memory modules")
struct ModuleTests {
    struct World {
        let fixture: StoreFixture
        let vendor: TenantStore
        let acme: TenantStore
        let faq: CubeID
        let vendorKey: String
    }

    static func world() async throws -> World {
        let fixture = try await StoreFixture.make(tenants: ["acme", "vendor"])
        let author = try await fixture.tenant("vendor")
        let faq = try await author.createCube(NewCube(owner: .tenant, name: "product faq", defaultCategory: "general"))
        _ = try await author.addMemories(
            [.text("the warranty lasts two years"), .text("returns are free within thirty days")], to: faq.id)
        let vendor = try await fixture.tenant("vendor", as: .administrator)
        return World(
            fixture: fixture, vendor: vendor, acme: try await fixture.tenant("acme", as: .administrator), faq: faq.id,
            vendorKey: try vendor.portabilityKeys().signer)
    }

    @Test("installed only from a trusted publisher, as a read-only shared cube every reader can search")
    func install() async throws {
        let world = try await Self.world()
        let module = try await world.vendor.packModule(world.faq, name: "faq", version: "1.0.0", license: "CC-BY-4.0")
        #expect(module.manifest.kind == .module && module.manifest.recipient == nil)
        #expect(module.manifest.module == .init(name: "faq", version: "1.0.0", license: "CC-BY-4.0"))

        let untrusted = await #expect(throws: MemVaultError.self) { try await world.acme.installModule(module.bytes) }
        #expect(untrusted?.message.contains("trusts no module publisher") == true)
        _ = try await world.acme.trustPublisher(key: String(repeating: "cd", count: 32), name: "someone else")
        let wrong = await #expect(throws: MemVaultError.self) { try await world.acme.installModule(module.bytes) }
        #expect(wrong?.message.contains("not the sender this import trusts") == true)

        _ = try await world.acme.trustPublisher(key: world.vendorKey, name: "vendor")
        let installed = try await world.acme.installModule(module.bytes)
        #expect(installed.memories == 2 && installed.cube.subject == nil)
        #expect(installed.cube.module?.name == "faq" && installed.cube.module?.publisher == world.vendorKey)
        let again = await #expect(throws: MemVaultError.self) { try await world.acme.installModule(module.bytes) }
        #expect(again?.code == .conflict)

        let app = try await world.fixture.tenant("acme")
        let hits = try await app.search(SearchQuery("warranty", in: .cubes([installed.cube.id])))
        #expect(hits.hits.count == 1)
        // Read-only for every role and path.
        let memory = try #require(hits.hits.first?.memory.id)
        for write in [
            { _ = try await app.addMemory(.text("free upgrades forever"), to: installed.cube.id) },
            { _ = try await app.updateMemory(memory, MemoryChanges(content: .text("the warranty lasts ten years"))) },
            { _ = try await app.archiveMemory(memory) },
            { try await app.deleteMemory(memory) },
            { try await world.acme.deleteCube(installed.cube.id) },
        ] as [@Sendable () async throws -> Void] {
            let refused = await #expect(throws: MemVaultError.self) { try await write() }
            #expect(refused?.code == .readOnly)
        }
        #expect(try await app.memory(memory).content == .text("the warranty lasts two years"))
        #expect(try await world.acme.modules().map(\.module?.version) == ["1.0.0"])

        // Trust revoked: the next install is refused.
        _ = try await world.acme.trustPublisher(key: world.vendorKey, name: "vendor", revoke: true)
        let other = try await world.vendor.packModule(world.faq, name: "faq2", version: "1.0.0", license: "CC-BY-4.0")
        await #expect(throws: MemVaultError.self) { try await world.acme.installModule(other.bytes) }
        let publishers = try await world.acme.trustedPublishers()
        #expect(publishers.first { $0.key == world.vendorKey }?.isTrusted == false)
    }

    @Test("an upgrade switches to the new version in one unit; uninstalling leaves nothing behind")
    func upgradeAndUninstall() async throws {
        let world = try await Self.world()
        _ = try await world.acme.trustPublisher(key: world.vendorKey, name: "vendor")
        let first = try await world.vendor.packModule(world.faq, name: "faq", version: "1.0.0", license: "CC0-1.0")
        let old = try await world.acme.installModule(first.bytes)
        // The module's memory ids, read from the file (listing them would record them in the audit log).
        func storedIDs(_ cube: CubeID) throws -> [String] {
            var ids: [String] = []
            try StoreFixture.tamper(path: world.fixture.databasePath("acme")) { db in
                ids = try String.fetchAll(
                    db, sql: "SELECT memory_id FROM memories WHERE cube_id = ?", arguments: [cube.rawValue])
            }
            return ids
        }
        var memoryIDs = try storedIDs(old.cube.id)
        _ = try await world.fixture.tenant("vendor").addMemory(.text("support answers within a day"), to: world.faq)
        let second = try await world.vendor.packModule(world.faq, name: "faq", version: "1.1.0", license: "CC0-1.0")
        await #expect(throws: MemVaultError.self) { try await world.acme.installModule(second.bytes) }
        let new = try await world.acme.upgradeModule(second.bytes)
        memoryIDs += try storedIDs(new.cube.id)
        #expect(memoryIDs.count == 5)
        #expect(new.memories == 3 && new.cube.id != old.cube.id)
        await #expect(throws: MemVaultError.self) { try await world.acme.cube(old.cube.id) }
        #expect(try await world.acme.modules().map(\.module?.version) == ["1.1.0"])
        await #expect(throws: MemVaultError.self) { try await world.acme.upgradeModule(second.bytes) }
        let log = try await world.fixture.tenant("acme", as: .auditor).auditLog()
        #expect(log.contains { $0.action == .module && $0.detail?.contains("replacing 1.0.0") == true })

        // A tenant vouches for a module by signing it with its own key.
        let resigned = try await world.fixture.tenant("acme", as: .administrator).signModule(second.bytes)
        #expect(resigned.manifest.signer != second.manifest.signer)
        #expect(resigned.manifest.contentHash == second.manifest.contentHash)
        // A module whose name is free text is refused before anything is recorded.
        var odd = second.manifest
        odd.module = .init(name: "Free Text: anything at all", version: "1", license: "x")
        let key = try Ed25519.PrivateKey()
        odd.signer = Hex.encode(key.publicKey.rawRepresentation)
        let content = try BundleContainer.open(
            second.bytes, recipient: nil, trustedSigners: nil, maximumBytes: 1 << 24
        ).content
        let forged = try BundleContainer.make(manifest: odd, content: content, signer: key, recipient: nil)
        let refused = await #expect(throws: MemVaultError.self) {
            try await world.fixture.tenant("acme", as: .administrator).signModule(forged)
        }
        #expect(refused?.code == .invalidArgument)

        let removed = try await world.acme.uninstallModule("faq")
        #expect(removed.id == new.cube.id)
        #expect(try await world.acme.modules().isEmpty)
        #expect(try await world.fixture.tenant("acme").usage().memories == 0)
        await #expect(throws: MemVaultError.self) { try await world.acme.uninstallModule("faq") }
        // Nothing of either version's memories is left in acme's files, not even their ids (the audit log names
        // the cubes, as it must, never the module's memories).
        let files = try FileManager.default.contentsOfDirectory(atPath: world.fixture.root.appending("data/tenants"))
            .filter { $0.hasPrefix("acme") }
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try Data(contentsOf: URL(filePath: world.fixture.root.appending("data/tenants/\(file)")))
            for id in memoryIDs {
                #expect(bytes.range(of: Data(id.utf8)) == nil, "\(id) in \(file)")
            }
        }
    }
}
