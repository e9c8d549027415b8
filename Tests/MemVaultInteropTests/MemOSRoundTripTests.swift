import Foundation
import MemVault
import MemVaultInterop
import MemVaultPolicy
import MemVaultSQLite
import Testing

/// Real MemOS v2.0.31 dumps (Fixtures/memos, Apache-2.0) through MemVault and back: every memory and every field
/// the format carries comes back; embeddings to float precision, which is what MemVault stores.
@Suite("MemOS dumps")
struct MemOSRoundTripTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures/memos", withExtension: nil)!
    static let policies = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Policies")
    static let inbound = Transfer(.inbound, format: "memos-dump", platform: "memos")
    static let outbound = Transfer(.outbound, format: "memos-dump", platform: "memos")

    static func store() async throws -> (MemoryStore, URL) {
        let root = FileManager.default.temporaryDirectory.appending(path: "memos-\(UUID().uuidString)")
        let installation = try Installation.initialise(
            at: root.appending(path: "data").path, masterKey: .keyFile(path: root.appending(path: "master.key").path))
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies))
        try await store.createTenant(TenantID("acme"), as: AccessContext(actor: "tests", role: .administrator))
        return (store, root)
    }

    /// Each item of a dump's textual memory: id → (memory, metadata without the embedding, embedding).
    static func items(_ folder: URL) throws -> [String: (String, JSONValue, [Double]?)] {
        let json = try JSONDecoder().decode(
            JSONValue.self, from: Data(contentsOf: folder.appending(path: "textual_memory.json")))
        var items: [String: (String, JSONValue, [Double]?)] = [:]
        let list = json.array ?? json.object?["nodes"]?.array ?? []
        for item in list {
            let object = item.object!
            let payload = object["payload"]?.object ?? object
            var metadata = payload["metadata"]!.object!
            let vector = (object["vector"] ?? metadata.removeValue(forKey: "embedding"))?.array?.map { $0.number! }
            items[payload["id"]!.string!] = (payload["memory"]!.string!, .object(metadata), vector)
        }
        return items
    }

    @Test(
        "general_text and tree_text dumps go in and come back with every memory and field",
        arguments: ["mem_cube_2", "mem_cube_tree"])
    func roundTrip(_ name: String) async throws {
        let (store, root) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = Self.fixtures.appending(path: name)
        let reading = try MemOSDump.read(folder: folder, category: "profile", subject: nil, maximumBytes: 1 << 24)
        if name == "mem_cube_2" {
            #expect(reading.skipped.contains { $0.hasPrefix("activation_memory.pickle: a Python pickle") })
        }
        let admin = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "ops", role: .administrator, purpose: "service-delivery"))
        var cubes: [CubeID] = []
        for cube in reading.cubes {
            cubes.append(
                try await admin.importCube(cube, as: Self.inbound, contentHash: PortableCube.contentHash(cube)).cube.id)
        }
        let officer = try await store.tenant(
            TenantID("acme"),
            as: AccessContext(actor: "dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights"))
        let original = try Self.items(folder)
        var returned: [String: (String, JSONValue, [Double]?)] = [:]
        for cube in cubes {
            let export = try await officer.exportCube(cube, as: Self.outbound)
            let out = root.appending(path: "out-\(cube.rawValue)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            for (file, bytes) in try MemOSDump.files(for: export.cube) {
                try Data(bytes).write(to: out.appending(path: file))
            }
            returned.merge(try Self.items(out)) { first, _ in first }
        }
        #expect(original.count == (name == "mem_cube_2" ? 2 : 4))
        #expect(Set(returned.keys) == Set(original.keys))
        for (id, (memory, metadata, vector)) in original {
            let (backMemory, backMetadata, backVector) = try #require(returned[id])
            #expect(backMemory == memory)
            var expected = metadata.object!
            var actual = backMetadata.object!
            // Times come back at MemVault's precision (milliseconds, UTC).
            for key in ["created_at", "updated_at"] {
                if let text = expected[key]?.string {
                    let date = try #require(actual[key]?.string.flatMap(ISO8601Milliseconds.parse))
                    let original = try #require(
                        ISO8601Milliseconds.parse(String(text.prefix(23)) + "Z") ?? ISO8601Milliseconds.parse(text))
                    #expect(abs(date.timeIntervalSince(original)) < 0.001, "\(id) \(key)")
                }
                expected.removeValue(forKey: key)
                actual.removeValue(forKey: key)
            }
            #expect(JSONValue.object(actual) == JSONValue.object(expected), "\(id)")
            #expect(backVector?.count == vector?.count)
            for (back, value) in zip(backVector ?? [], vector ?? []) { #expect(Float(back) == Float(value)) }
        }
    }

    @Test("malformed and hostile dumps are refused with a reason, and nothing is imported")
    func malformed() async throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "memos-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            ("not json", "is not valid JSON"),
            ("{\"nodes\": [{\"memory\": \"no id\"}]}", "has no id"),
            ("[{\"id\": \"1\", \"vector\": [\"x\"], \"payload\": {\"id\": \"1\", \"memory\": \"m\"}}]", "non-number"),
            ("42", "neither a general_text list nor a tree_text graph"),
            (
                "[{\"id\": \"1\", \"payload\": {\"id\": \"1\", \"memory\": \"m\", \"metadata\": {\"created_at\": \"yesterday\"}}}]",
                "not an ISO 8601 time"
            ),
        ]
        for (text, reason) in cases {
            try Data(text.utf8).write(to: root.appending(path: "textual_memory.json"))
            #expect(throws: InteropError.self) {
                do {
                    _ = try MemOSDump.read(folder: root, category: "general", subject: "u", maximumBytes: 1 << 20)
                } catch let error as InteropError {
                    #expect(error.description.contains(reason), "\(error)")
                    throw error
                }
            }
        }
        try FileManager.default.removeItem(at: root.appending(path: "textual_memory.json"))
        #expect(throws: InteropError.self) {
            try MemOSDump.read(folder: root, category: "general", subject: "u", maximumBytes: 1 << 20)
        }
    }
}
