import Foundation
import MemVault
import MemVaultInterop
import MemVaultPolicy
import Testing

/// Mutated and truncated foreign files: reading either refuses with an `InteropError` or yields cubes, and an import
/// of what was read either stores every memory of every cube or nothing. Never a crash, never a partial import.
@Suite("Foreign file fuzzing")
struct ForeignFileFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ bytes: [UInt8], round: Int, using generator: inout Generator) -> [UInt8] {
        var bytes = bytes
        switch round % 3 {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                // Structural bytes are the interesting ones: quotes, brackets, digits, commas.
                bytes[index] = Array("\"{}[]:,0-9.e".utf8).randomElement(using: &generator)!
            }
        case 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
        default:
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[index] ^= UInt8.random(in: 1...255, using: &generator)
        }
        return bytes
    }

    @Test("MemOS dumps and mem0 exports, mutated 300 times each")
    func fuzz() async throws {
        let (store, root) = try await MemOSRoundTripTests.store()
        defer { try? FileManager.default.removeItem(at: root) }
        let admin = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "ops", role: .administrator, purpose: "service-delivery"))
        let app = try await store.tenant(
            TenantID("acme"), as: AccessContext(actor: "app", role: .application, purpose: "service-delivery"))
        let memos = try Array(
            Data(contentsOf: MemOSRoundTripTests.fixtures.appending(path: "mem_cube_tree/textual_memory.json")))
        let mem0 = try Array(Data(contentsOf: Mem0ImportTests.fixtures.appending(path: "get_all.json")))
        let folder = root.appending(path: "fuzz")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var generator = Generator(state: 0x4d656d4f53)
        var outcomes = (refused: 0, imported: 0, denied: 0)
        for round in 0..<600 {
            let isMemOS = round < 300
            let file = folder.appending(path: isMemOS ? "textual_memory.json" : "all.json")
            try Data(Self.mutate(isMemOS ? memos : mem0, round: round, using: &generator)).write(to: file)
            let cubes: [PortableCube]
            do {
                cubes =
                    isMemOS
                    ? try MemOSDump.read(
                        folder: folder, category: "profile", subject: "fallback", maximumBytes: 1 << 24
                    ).cubes
                    : try Mem0Export.read(
                        memories: file, history: nil, category: "profile", subject: "fallback", maximumBytes: 1 << 24)
            } catch is InteropError {
                outcomes.refused += 1
                continue
            }
            let before = try await app.usage().memories
            let expected = cubes.reduce(0) { $0 + $1.memories.count }
            do {
                _ = try await admin.importCubes(
                    cubes.map { ($0, try PortableCube.contentHash($0)) },
                    as: Transfer(
                        .inbound, format: isMemOS ? "memos-dump" : "mem0-json", platform: isMemOS ? "memos" : "mem0"))
                #expect(try await app.usage().memories == before + expected, "round \(round)")
                outcomes.imported += 1
            } catch let error as MemVaultError {
                #expect(try await app.usage().memories == before, "round \(round): \(error)")
                outcomes.denied += 1
            }
        }
        // Most mutations break the JSON; some survive as other valid files and import whole, or are refused whole.
        #expect(outcomes.refused > 200 && outcomes.imported > 0)
        print("foreign fuzz: \(outcomes)")
        #expect(
            try await store.tenant(TenantID("acme"), as: AccessContext(actor: "a", role: .auditor)).verifyAudit()
                .isValid)
    }
}
