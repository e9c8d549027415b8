import Foundation
import MemVaultCrypto

/// The plaintext inside a memory's payload envelope: content plus the metadata that must be encrypted.
struct MemoryPayload: Sendable, Equatable {
    var content: MemoryContent
    var tags: [String]
    var sourceDetail: String?
    var confidence: Double?
    var attributes: [String: String]
}

/// The plaintext inside a cube's metadata envelope.
struct CubeMetadata: Sendable, Equatable {
    var name: String
    var provenance: Provenance
    /// How the cube's text is analysed for search (format 2; cubes of format 1 analyse with `.standard`).
    var analysis: TextAnalysis = .standard
    /// Format 3; none before.
    var embeddingDimension: Int?
    /// The model that embeds its memories (format 4; none before).
    var embedder: String?
    /// Set for an installed memory module, which is read-only (format 5; none before).
    var module: ModuleIdentity?
}

/// A compact, versioned binary encoding for sealed plaintexts: length-prefixed fields, big-endian integers.
/// Cheaper than JSON on the write path, and strict on the read path: any trailing or missing byte is an error.
enum PayloadCodec {
    private static let memoryFormat: UInt8 = 1
    private static let cubeFormat: UInt8 = 5

    static func encode(_ payload: MemoryPayload) -> [UInt8] {
        var writer = ByteWriter(capacity: payload.content.byteCount + 64)
        writer.byte(memoryFormat)
        switch payload.content {
        case .text(let text):
            writer.byte(0)
            writer.bytes(Array(text.utf8))
        case .binary(let bytes, let mediaType):
            writer.byte(1)
            writer.bytes(bytes)
            writer.string(mediaType)
        }
        writer.count(payload.tags.count)
        for tag in payload.tags { writer.string(tag) }
        writer.optionalString(payload.sourceDetail)
        if let confidence = payload.confidence {
            writer.byte(1)
            writer.uint64(confidence.bitPattern)
        } else {
            writer.byte(0)
        }
        writer.count(payload.attributes.count)
        for (key, value) in payload.attributes.sorted(by: { $0.key < $1.key }) {
            writer.string(key)
            writer.string(value)
        }
        return writer.output
    }

    static func decodeMemory(_ bytes: [UInt8]) throws -> MemoryPayload {
        var reader = ByteReader(bytes)
        guard try reader.byte() == memoryFormat else { throw reader.malformed("unknown memory payload format") }
        let content: MemoryContent
        switch try reader.byte() {
        case 0:
            guard let text = String(validating: try reader.bytes(), as: UTF8.self) else {
                throw reader.malformed("text content is not UTF-8")
            }
            content = .text(text)
        case 1:
            let data = try reader.bytes()
            content = .binary(bytes: data, mediaType: try reader.string())
        default:
            throw reader.malformed("unknown content kind")
        }
        let tags = try (0..<reader.count()).map { _ in try reader.string() }
        let sourceDetail = try reader.optionalString()
        let confidence = try reader.byte() == 1 ? Double(bitPattern: try reader.uint64()) : nil
        var attributes: [String: String] = [:]
        for _ in 0..<(try reader.count()) {
            attributes[try reader.string()] = try reader.string()
        }
        try reader.finish()
        return MemoryPayload(
            content: content, tags: tags, sourceDetail: sourceDetail, confidence: confidence, attributes: attributes)
    }

    static func encode(_ metadata: CubeMetadata) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.byte(cubeFormat)
        writer.string(metadata.name)
        writer.optionalString(metadata.provenance.origin)
        writer.optionalString(metadata.provenance.createdBy)
        writer.optionalString(metadata.provenance.importedFrom)
        let analysis = metadata.analysis
        writer.byte((analysis.stemming ? 1 : 0) | (analysis.stopWords ? 2 : 0) | (analysis.indexed ? 0 : 4))
        writer.count(metadata.embeddingDimension ?? 0)
        writer.optionalString(metadata.embedder)
        if let module = metadata.module {
            writer.byte(1)
            for field in [module.name, module.version, module.license, module.publisher, module.contentHash] {
                writer.string(field)
            }
        } else {
            writer.byte(0)
        }
        return writer.output
    }

    static func decodeCube(_ bytes: [UInt8]) throws -> CubeMetadata {
        var reader = ByteReader(bytes)
        let format = try reader.byte()
        guard (1...cubeFormat).contains(format) else { throw reader.malformed("unknown cube metadata format") }
        let name = try reader.string()
        let provenance = Provenance(
            origin: try reader.optionalString(), createdBy: try reader.optionalString(),
            importedFrom: try reader.optionalString())
        var analysis = TextAnalysis.standard
        if format >= 2 {
            let flags = try reader.byte()
            guard flags & ~7 == 0 else { throw reader.malformed("unknown text analysis options") }
            analysis = TextAnalysis(stemming: flags & 1 != 0, stopWords: flags & 2 != 0, indexed: flags & 4 == 0)
        }
        let dimension = format >= 3 ? try reader.count() : 0
        let embedder = format >= 4 ? try reader.optionalString() : nil
        var module: ModuleIdentity?
        if format >= 5 {
            switch try reader.byte() {
            case 0: break
            case 1:
                module = ModuleIdentity(
                    name: try reader.string(), version: try reader.string(), license: try reader.string(),
                    publisher: try reader.string(), contentHash: try reader.string())
            default: throw reader.malformed("unknown module marker")
            }
        }
        try reader.finish()
        return CubeMetadata(
            name: name, provenance: provenance, analysis: analysis,
            embeddingDimension: dimension == 0 ? nil : dimension, embedder: embedder, module: module)
    }
}

private struct ByteWriter {
    var output: [UInt8]

    init(capacity: Int) {
        output = []
        output.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) { output.append(value) }

    mutating func uint64(_ value: UInt64) {
        BigEndian.append(value, to: &output)
    }

    mutating func count(_ value: Int) {
        BigEndian.append(UInt32(value), to: &output)
    }

    mutating func bytes(_ value: [UInt8]) {
        uint64(UInt64(value.count))
        output.append(contentsOf: value)
    }

    mutating func string(_ value: String) { bytes(Array(value.utf8)) }

    mutating func optionalString(_ value: String?) {
        if let value {
            byte(1)
            string(value)
        } else {
            byte(0)
        }
    }
}

private struct ByteReader {
    private let input: [UInt8]
    private var offset = 0

    init(_ input: [UInt8]) { self.input = input }

    func malformed(_ reason: String) -> MemVaultError {
        MemVaultError(.integrity, "a sealed record decrypted but does not decode (\(reason)) at byte \(offset)")
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, input.count - offset >= count else { throw malformed("truncated") }
        defer { offset += count }
        return input[offset..<(offset + count)]
    }

    mutating func byte() throws -> UInt8 { try take(1).first! }

    mutating func uint64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }

    mutating func count() throws -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }

    mutating func bytes() throws -> [UInt8] {
        let length = try uint64()
        guard length <= UInt64(input.count - offset) else { throw malformed("length past the end") }
        return Array(try take(Int(length)))
    }

    mutating func string() throws -> String {
        guard let value = String(validating: try bytes(), as: UTF8.self) else { throw malformed("string not UTF-8") }
        return value
    }

    mutating func optionalString() throws -> String? {
        switch try byte() {
        case 0: return nil
        case 1: return try string()
        default: throw malformed("bad optional marker")
        }
    }

    func finish() throws {
        guard offset == input.count else { throw malformed("trailing bytes") }
    }
}
