/// What storage backends hold. Every field here is either ciphertext (an envelope) or one of the fields kept in
/// clear on purpose because the engine queries them without keys (docs/data-model.md). A backend never sees
/// plaintext content, metadata or external subject ids.

/// Milliseconds since 1970, the clear timestamp format in storage.
public typealias StoredTime = Int64

public struct SubjectRecord: Sendable, Equatable {
    public let id: SubjectID
    public let pseudonym: String
    /// The tenant's external id for the subject, sealed under the subject's data key.
    public let externalID: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime
}

public struct CubeRecord: Sendable, Equatable {
    public let id: CubeID
    public let subject: SubjectID?
    public let kind: String
    public let defaultCategory: String
    public let schemaVersion: Int
    /// Name and provenance, sealed.
    public let metadata: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime
    public let updatedAt: StoredTime
}

public enum ContentKind: String, Sendable, Codable {
    case text
    case binary
}

public struct MemoryRecord: Sendable, Equatable {
    public let id: MemoryID
    public let cube: CubeID
    public let subject: SubjectID?
    public let version: Int
    public let supersedes: Int?
    public let status: MemoryStatus
    public let type: MemoryType
    public let category: String
    public let source: SourceKind
    public let contentKind: ContentKind
    public let contentSize: Int
    public let occurredAt: StoredTime?
    public let validFrom: StoredTime?
    public let validUntil: StoredTime?
    public let createdAt: StoredTime
    public let updatedAt: StoredTime
    public let keyVersion: UInt32
    /// Content, tags, source detail, confidence, attributes and media type, sealed together.
    public let payload: [UInt8]

    func with(status: MemoryStatus, updatedAt: StoredTime) -> MemoryRecord {
        MemoryRecord(
            id: id, cube: cube, subject: subject, version: version, supersedes: supersedes, status: status,
            type: type, category: category, source: source, contentKind: contentKind, contentSize: contentSize,
            occurredAt: occurredAt, validFrom: validFrom, validUntil: validUntil, createdAt: createdAt,
            updatedAt: updatedAt, keyVersion: keyVersion, payload: payload)
    }
}

/// Which memories a listing covers.
public enum MemoryScope: Sendable, Equatable {
    case cube(CubeID)
    case subject(SubjectID)
}
