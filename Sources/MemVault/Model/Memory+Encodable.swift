import Foundation

/// The JSON shape of a memory, shared by the CLI's `--json` output and, later, the HTTP API.
extension Memory: Encodable {
    private enum CodingKeys: String, CodingKey {
        case id, cube, subject, version, supersedes, status, type, category, content, tags, source, sourceDetail
        case confidence, occurredAt, validFrom, validUntil, attributes, createdAt, updatedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(cube, forKey: .cube)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(supersedes, forKey: .supersedes)
        try container.encode(status, forKey: .status)
        try container.encode(type, forKey: .type)
        try container.encode(category, forKey: .category)
        try container.encode(content, forKey: .content)
        try container.encode(tags, forKey: .tags)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(sourceDetail, forKey: .sourceDetail)
        try container.encodeIfPresent(confidence, forKey: .confidence)
        try container.encodeIfPresent(occurredAt, forKey: .occurredAt)
        try container.encodeIfPresent(validFrom, forKey: .validFrom)
        try container.encodeIfPresent(validUntil, forKey: .validUntil)
        try container.encode(attributes, forKey: .attributes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// `{"kind": "text", "text": …}` or `{"kind": "binary", "mediaType": …, "base64": …}`.
extension MemoryContent: Encodable {
    private enum CodingKeys: String, CodingKey {
        case kind, text, mediaType, base64
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .kind)
            try container.encode(text, forKey: .text)
        case .binary(let bytes, let mediaType):
            try container.encode("binary", forKey: .kind)
            try container.encode(mediaType, forKey: .mediaType)
            try container.encode(Data(bytes).base64EncodedString(), forKey: .base64)
        }
    }
}

extension Page: Encodable where Item: Encodable {
    private enum CodingKeys: String, CodingKey {
        case items, nextCursor, withheld
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encodeIfPresent(nextCursor, forKey: .nextCursor)
        try container.encode(withheld, forKey: .withheld)
    }
}

extension SearchHit: Encodable {
    private enum CodingKeys: String, CodingKey {
        case memory, score, lexicalScore, vectorScore, matched
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(memory, forKey: .memory)
        try container.encode(score, forKey: .score)
        try container.encodeIfPresent(lexicalScore, forKey: .lexicalScore)
        try container.encodeIfPresent(vectorScore, forKey: .vectorScore)
        try container.encode(matched.map(\.rawValue).sorted(), forKey: .matched)
    }
}

extension SearchResults: Encodable {
    private enum CodingKeys: String, CodingKey {
        case hits, withheld, deniedCubes, mode, awaitingEmbedding
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hits, forKey: .hits)
        try container.encode(withheld, forKey: .withheld)
        try container.encode(deniedCubes, forKey: .deniedCubes)
        try container.encode(mode, forKey: .mode)
        try container.encode(awaitingEmbedding, forKey: .awaitingEmbedding)
    }
}
