import Foundation
import MemVault
import Testing

@testable import MemVaultEmbedding

@Suite("safetensors reader")
struct SafeTensorsTests {
    /// A file with the given header (JSON text) and data bytes.
    func file(_ header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        let length = UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
    }

    func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt32($0))) } }
    }

    @Test("reads F32 tensors in row-major order, skips other dtypes, checks the shape asked for")
    func reads() throws {
        let data = floatBytes([1, -2.5, 3, 4, 0.25, 6]) + [UInt8](repeating: 7, count: 8)
        let tensors = try SafeTensors(
            file(
                #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
                    + #""ids":{"dtype":"I64","shape":[1],"data_offsets":[24,32]}}"#, data: data))
        #expect(try tensors.floats("w", shape: [2, 3]) == [1, -2.5, 3, 4, 0.25, 6])
        #expect(tensors.entries["ids"]?.dtype == "I64")
        #expect(throws: MemVaultError.self) { try tensors.floats("w", shape: [3, 2]) }
        #expect(throws: MemVaultError.self) { try tensors.floats("ids", shape: [1]) }
        #expect(throws: MemVaultError.self) { try tensors.floats("absent", shape: [1]) }
    }

    @Test(
        "refuses files that lie about a length, a range or a shape",
        arguments: [
            ("too short", Array([UInt8](repeating: 0, count: 5))),
            ("header past the end", [200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)),
            ("huge header", [0, 0, 0, 0, 0, 0, 0, 1] + Array("{}".utf8)),
        ])
    func refusesBrokenFraming(_ case: String, _ bytes: [UInt8]) {
        #expect(throws: MemVaultError.self, "\(`case`)") { try SafeTensors(bytes) }
    }

    @Test(
        "refuses headers whose tensors do not fit their bytes",
        arguments: [
            #"not json"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#,
            #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
            #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#,
        ])
    func refusesBrokenHeaders(_ header: String) {
        #expect(throws: MemVaultError.self) { try SafeTensors(file(header, data: floatBytes([1, 2, 3]))) }
    }

    @Test("without the model's files the embedder says how to fetch them, and refuses files that are not the model")
    func missingOrAlteredFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = #expect(throws: MemVaultError.self) { try MiniLMEmbedder(folder: folder) }
        #expect(missing?.code == .embedderUnavailable)
        #expect(missing?.message.contains("./scripts/fetch-model") == true)

        try Data("not a model".utf8).write(to: folder.appending(path: "model.safetensors"))
        try FileManager.default.copyItem(
            at: ModelUnderTest.folder.appending(path: "vocab.txt"), to: folder.appending(path: "vocab.txt"))
        let altered = #expect(throws: MemVaultError.self) { try MiniLMEmbedder(folder: folder) }
        #expect(altered?.code == .embedderUnavailable)
        #expect(altered?.message.contains("is not the expected all-MiniLM-L6-v2 file") == true)
    }
}
