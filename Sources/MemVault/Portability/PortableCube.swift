public import Foundation
import MemVaultCrypto

/// A cube with everything it holds, in the clear: what an export produces and an import consumes, whatever the
/// file it travels in (a sealed bundle, a module, a MemOS dump). Its JSON form is versioned (`formatVersion`) and
/// documented in docs/portability.md; decoding never runs anything, and refuses what it does not know.
public struct PortableCube: Sendable, Equatable, Codable {
    public static let formatVersion = 1

    public var formatVersion: Int
    public var name: String
    public var kind: String
    public var defaultCategory: String
    public var provenance: Provenance
    public var analysis: TextAnalysis
    public var embeddingDimension: Int?
    public var embedder: String?
    public var createdAt: Date
    /// The tenant's own id for the subject who owns the cube (personal data, so only inside a sealed bundle or a
    /// subject's own export); nil for a tenant-shared cube.
    public var subjectExternalID: String?
    /// In id (creation) order.
    public var memories: [PortableMemory]

    public init(
        name: String, kind: String = "general", defaultCategory: String = "general", provenance: Provenance = .init(),
        analysis: TextAnalysis = .standard, embeddingDimension: Int? = nil, embedder: String? = nil,
        createdAt: Date, subjectExternalID: String?, memories: [PortableMemory]
    ) {
        formatVersion = Self.formatVersion
        self.name = name
        self.kind = kind
        self.defaultCategory = defaultCategory
        self.provenance = provenance
        self.analysis = analysis
        self.embeddingDimension = embeddingDimension
        self.embedder = embedder
        self.createdAt = createdAt
        self.subjectExternalID = subjectExternalID
        self.memories = memories
    }

    /// SHA-256 (hex) of the cube's portable JSON: what audit entries record of a transfer.
    public static func contentHash(_ cube: PortableCube) throws -> String {
        try contentHash(bytes: Array(PortableJSON.encoder().encode(cube)))
    }

    static func contentHash(bytes: [UInt8]) throws -> String { Hex.encode(try SHA256.hash(bytes)) }

    public var versionCount: Int { memories.reduce(0) { $0 + $1.versions.count } }
    public var embeddingCount: Int { memories.count { $0.embedding != nil } }
    /// Every category the cube's memories use, in any version, with its default.
    public var categories: Set<String> {
        memories.reduce(into: [defaultCategory]) { set, memory in
            for version in memory.versions { set.insert(version.category) }
        }
    }
}

/// One memory with its lineage: every version, oldest first, and the current version's embedding.
public struct PortableMemory: Sendable, Equatable, Codable {
    /// The id it had where it came from: a MemVault memory id, or another platform's (kept in provenance).
    public var id: String
    public var versions: [PortableVersion]
    /// Of the cube's dimension; the current version's.
    public var embedding: [Float]?

    public init(id: String, versions: [PortableVersion], embedding: [Float]? = nil) {
        self.id = id
        self.versions = versions
        self.embedding = embedding
    }

    private enum CodingKeys: String, CodingKey {
        case id, versions, embedding
    }

    // The embedding travels as base64 of its little-endian float32s: exact to the bit, and a quarter of the size
    // (and a fraction of the coding time) of decimal numbers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        versions = try container.decode([PortableVersion].self, forKey: .versions)
        guard let text = try container.decodeIfPresent(String.self, forKey: .embedding) else {
            embedding = nil
            return
        }
        guard let data = Data(base64Encoded: text), let vector = VectorCodec.decode(Array(data)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .embedding, in: container, debugDescription: "not base64 of little-endian float32 values")
        }
        embedding = vector
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(versions, forKey: .versions)
        if let embedding {
            try container.encode(Data(VectorCodec.encode(embedding)).base64EncodedString(), forKey: .embedding)
        }
    }
}

/// One version of a memory: every field a `Memory` carries except where it lives.
public struct PortableVersion: Sendable, Equatable, Codable {
    public var version: Int
    public var status: MemoryStatus
    public var type: MemoryType
    public var category: String
    public var source: SourceKind
    public var content: MemoryContent
    public var tags: [String]
    public var sourceDetail: String?
    public var confidence: Double?
    public var occurredAt: Date?
    public var validFrom: Date?
    public var validUntil: Date?
    public var attributes: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        version: Int, status: MemoryStatus = .active, type: MemoryType = .longTerm, category: String,
        source: SourceKind = .import, content: MemoryContent, tags: [String] = [], sourceDetail: String? = nil,
        confidence: Double? = nil, occurredAt: Date? = nil, validFrom: Date? = nil, validUntil: Date? = nil,
        attributes: [String: String] = [:], createdAt: Date, updatedAt: Date
    ) {
        self.version = version
        self.status = status
        self.type = type
        self.category = category
        self.source = source
        self.content = content
        self.tags = tags
        self.sourceDetail = sourceDetail
        self.confidence = confidence
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.attributes = attributes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The version of a stored memory.
    public init(_ memory: Memory) {
        self.init(
            version: memory.version, status: memory.status, type: memory.type, category: memory.category,
            source: memory.source, content: memory.content, tags: memory.tags, sourceDetail: memory.sourceDetail,
            confidence: memory.confidence, occurredAt: memory.occurredAt, validFrom: memory.validFrom,
            validUntil: memory.validUntil, attributes: memory.attributes, createdAt: memory.createdAt,
            updatedAt: memory.updatedAt)
    }
}

/// The one JSON coding of portable documents: sorted keys (so equal documents are equal bytes) and times as ISO 8601
/// with milliseconds, the precision MemVault stores.
public enum PortableJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Milliseconds.format(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601Milliseconds.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 time: '\(text.prefix(40))'")
            }
            return date
        }
        return decoder
    }
}
