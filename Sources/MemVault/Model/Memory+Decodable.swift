import Foundation

/// The JSON shapes of `Memory+Encodable.swift`, read back: how a client of the HTTP API (the command line's
/// `--server` transport) gets the same values a local store returns.
extension Memory: Decodable {
    private enum Keys: String, CodingKey {
        case id, cube, subject, version, supersedes, status, type, category, content, tags, source, sourceDetail
        case confidence, occurredAt, validFrom, validUntil, attributes, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let content = try container.decode(MemoryContent.self, forKey: .content)
        // Nearest, not floor: a millisecond read back from text is a hair below its integer as a Double.
        let stored = { (date: Date) in StoredTime((date.timeIntervalSince1970 * 1000).rounded()) }
        let time = { (key: Keys) in try container.decodeIfPresent(Date.self, forKey: key).map(stored) }
        let fields = MemoryFields(
            status: try container.decode(MemoryStatus.self, forKey: .status),
            type: try container.decode(MemoryType.self, forKey: .type),
            category: try container.decode(String.self, forKey: .category),
            source: try container.decode(SourceKind.self, forKey: .source), contentKind: content.kind,
            contentSize: content.byteCount, occurredAt: try time(.occurredAt), validFrom: try time(.validFrom),
            validUntil: try time(.validUntil),
            createdAt: stored(try container.decode(Date.self, forKey: .createdAt)),
            updatedAt: stored(try container.decode(Date.self, forKey: .updatedAt)))
        self.init(
            id: try container.decode(MemoryID.self, forKey: .id),
            cube: try container.decode(CubeID.self, forKey: .cube),
            subject: try container.decodeIfPresent(SubjectID.self, forKey: .subject),
            version: try container.decode(Int.self, forKey: .version),
            supersedes: try container.decodeIfPresent(Int.self, forKey: .supersedes), fields: fields,
            payload: MemoryPayload(
                content: content, tags: try container.decode([String].self, forKey: .tags),
                sourceDetail: try container.decodeIfPresent(String.self, forKey: .sourceDetail),
                confidence: try container.decodeIfPresent(Double.self, forKey: .confidence),
                attributes: try container.decode([String: String].self, forKey: .attributes)))
    }
}

extension MemoryContent: Decodable {
    private enum Keys: String, CodingKey {
        case kind, text, mediaType, base64
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(ContentKind.self, forKey: .kind) {
        case .text: self = .text(try container.decode(String.self, forKey: .text))
        case .binary:
            guard let bytes = Data(base64Encoded: try container.decode(String.self, forKey: .base64)) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .base64, in: container, debugDescription: "not base64")
            }
            self = .binary(bytes: Array(bytes), mediaType: try container.decode(String.self, forKey: .mediaType))
        }
    }
}

extension Page: Decodable where Item: Decodable {
    private enum Keys: String, CodingKey {
        case items, nextCursor, withheld
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            items: try container.decode([Item].self, forKey: .items),
            nextCursor: try container.decodeIfPresent(String.self, forKey: .nextCursor),
            withheld: try container.decode([Withheld].self, forKey: .withheld))
    }
}

extension SearchHit: Decodable {
    private enum Keys: String, CodingKey {
        case memory, score, lexicalScore, vectorScore
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            memory: try container.decode(Memory.self, forKey: .memory),
            score: try container.decode(Double.self, forKey: .score),
            lexicalScore: try container.decodeIfPresent(Double.self, forKey: .lexicalScore),
            vectorScore: try container.decodeIfPresent(Double.self, forKey: .vectorScore))
    }
}

extension SearchResults: Decodable {
    private enum Keys: String, CodingKey {
        case hits, withheld, deniedCubes, mode, awaitingEmbedding
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            hits: try container.decode([SearchHit].self, forKey: .hits),
            withheld: try container.decode([Withheld].self, forKey: .withheld),
            deniedCubes: try container.decode([CubeID].self, forKey: .deniedCubes),
            mode: try container.decode(SearchMode.self, forKey: .mode),
            awaitingEmbedding: try container.decode(Int.self, forKey: .awaitingEmbedding))
    }
}
