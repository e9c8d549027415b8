import Foundation
import MemVault
import MemVaultAudit
import MemVaultInterop
import MemVaultPolicy
import Testing

/// mem0's `get_all` and `history` in: one subject per user, history as versions, every field kept.
@Suite("mem0 exports")
struct Mem0ImportTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures/mem0", withExtension: nil)!
    static let inbound = Transfer(.inbound, format: "mem0-json", platform: "mem0")

    @Test("memories land in one cube per user, with their history as versions and their fields as attributes")
    func importsUsersAndHistory() async throws {
        let cubes = try Mem0Export.read(
            memories: Self.fixtures.appending(path: "get_all.json"),
            history: Self.fixtures.appending(path: "history.json"),
            category: "profile", subject: nil, maximumBytes: 1 << 20)
        #expect(cubes.map(\.subjectExternalID) == ["alex", "sam"])
        #expect(cubes.map(\.memories.count) == [2, 1])
        let diet = try #require(cubes[0].memories.first { $0.id == "892db2ae-06d9-49e5-8b3e-585ef9b85b8e" })
        #expect(
            diet.versions.map(\.content) == [.text("Is a vegetarian"), .text("Is a vegetarian and allergic to nuts")])
        let current = try #require(diet.versions.last)
        #expect(current.tags == ["food", "health"])
        #expect(current.attributes["mem0.hash"] == "\"8a4e1a1bd3c5d3c1b9d0e5a0c2e9e1f7\"")
        #expect(current.attributes["mem0.metadata"] == #"{"source":"onboarding"}"#)
        #expect(current.attributes["mem0.id"] == diet.id && current.attributes["mem0.agent_id"] == nil)
        #expect(ISO8601Milliseconds.format(current.createdAt) == "2026-07-26T06:57:00.108Z")
        #expect(ISO8601Milliseconds.format(current.updatedAt) == "2026-07-26T15:12:44.911Z")

        let (store, root) = try await MemOSRoundTripTests.store()
        defer { try? FileManager.default.removeItem(at: root) }
        let admin = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "ops", role: .administrator, purpose: "service-delivery"))
        // One user's cube refused (a category the policy does not declare): neither user's cube is imported.
        var refused = cubes
        refused[1].memories[0].versions[0].category = "astrology"
        let denial = await #expect(throws: MemVaultError.self) {
            try await admin.importCubes(refused.map { ($0, try PortableCube.contentHash($0)) }, as: Self.inbound)
        }
        #expect(denial?.code == .denied)
        let app0 = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
        #expect(try await app0.usage().memories == 0)
        await #expect(throws: MemVaultError.self) { try await app0.resolveSubject(externalID: "alex", create: false) }

        let imported = try await admin.importCubes(
            cubes.map { ($0, try PortableCube.contentHash($0)) }, as: Self.inbound)
        #expect(imported.map(\.createdSubject) == [true, true])
        #expect(imported.map(\.versions) == [3, 1])
        let app = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
        let alex = try await app.resolveSubject(externalID: "alex", create: false)
        #expect(alex.id == imported[0].subject)
        let memories = try await app.memories(in: .subject(alex.id)).items
        let history = try await app.history(try #require(memories.first { $0.tags == ["food", "health"] }).id)
        #expect(history.map(\.version) == [1, 2] && history.map(\.supersedes) == [nil, 1])
        #expect(history.map(\.source) == [.import, .import])
        let log = try await store.tenant(TenantID("acme"), as: AccessContext(actor: "audit", role: .auditor)).auditLog()
        let entries = log.filter { $0.action == .import && $0.effect == .permit }
        #expect(entries.count == 2 && Set(entries.compactMap(\.cube)) == Set(imported.map(\.cube.id.rawValue)))
        #expect(log.filter { $0.action == .import && $0.effect == .deny }.count == 1)
        #expect(log.allSatisfy { !"\($0)".contains("alex") && !"\($0)".contains("vegetarian") })
    }

    @Test("files that are not mem0's are refused with the reason")
    func refusals() throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "mem0-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appending(path: "all.json")
        for (text, reason) in [
            (#"{"memories": []}"#, "no \"results\" list"),
            (#"{"results": [{"memory": "x", "user_id": "u"}]}"#, "has no id"),
            (#"{"results": [{"id": "1", "user_id": "u"}]}"#, "has no text"),
            (#"{"results": [{"id": "1", "memory": "x"}]}"#, "names no user_id"),
            (#"{"results": [7]}"#, "is not an object"),
        ] {
            try Data(text.utf8).write(to: file)
            let error = #expect(throws: InteropError.self) {
                try Mem0Export.read(
                    memories: file, history: nil, category: "general", subject: nil, maximumBytes: 1 << 20)
            }
            #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
        }
        try Data(#"[{"memory_id": "1", "event": "EXPLODE"}]"#.utf8).write(to: root.appending(path: "h.json"))
        try Data(#"{"results": [{"id": "1", "memory": "x", "user_id": "u"}]}"#.utf8).write(to: file)
        #expect(throws: InteropError.self) {
            try Mem0Export.read(
                memories: file, history: root.appending(path: "h.json"), category: "general", subject: nil,
                maximumBytes: 1 << 20)
        }
        #expect(throws: InteropError.self) {
            try Mem0Export.read(memories: file, history: nil, category: "general", subject: nil, maximumBytes: 10)
        }
    }
}
