public import Foundation

/// What a caller supplies to add a memory.
public struct NewMemory: Sendable {
    public var content: MemoryContent
    public var type: MemoryType
    /// The policy category; nil takes the cube's default.
    public var category: String?
    public var tags: [String]
    public var source: SourceKind
    /// Free text about the source (conversation id, document title, tool name); encrypted.
    public var sourceDetail: String?
    /// 0...1, how sure the producer was.
    public var confidence: Double?
    /// When the remembered thing happened or was said, as opposed to when it was stored.
    public var occurredAt: Date?
    public var validFrom: Date?
    public var validUntil: Date?
    /// Free-form metadata; encrypted.
    public var attributes: [String: String]

    public init(
        content: MemoryContent, type: MemoryType = .longTerm, category: String? = nil, tags: [String] = [],
        source: SourceKind = .conversation, sourceDetail: String? = nil, confidence: Double? = nil,
        occurredAt: Date? = nil, validFrom: Date? = nil, validUntil: Date? = nil, attributes: [String: String] = [:]
    ) {
        self.content = content
        self.type = type
        self.category = category
        self.tags = tags
        self.source = source
        self.sourceDetail = sourceDetail
        self.confidence = confidence
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.attributes = attributes
    }
}

/// Changes for `update`: each non-nil field replaces the previous version's; the rest carries over.
public struct MemoryChanges: Sendable {
    public var content: MemoryContent?
    public var type: MemoryType?
    public var category: String?
    public var tags: [String]?
    public var source: SourceKind?
    public var sourceDetail: String?
    public var confidence: Double?
    public var occurredAt: Date?
    public var validFrom: Date?
    public var validUntil: Date?
    public var attributes: [String: String]?

    public init(
        content: MemoryContent? = nil, type: MemoryType? = nil, category: String? = nil, tags: [String]? = nil,
        source: SourceKind? = nil, sourceDetail: String? = nil, confidence: Double? = nil, occurredAt: Date? = nil,
        validFrom: Date? = nil, validUntil: Date? = nil, attributes: [String: String]? = nil
    ) {
        self.content = content
        self.type = type
        self.category = category
        self.tags = tags
        self.source = source
        self.sourceDetail = sourceDetail
        self.confidence = confidence
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.attributes = attributes
    }

    var isEmpty: Bool {
        content == nil && type == nil && category == nil && tags == nil && source == nil && sourceDetail == nil
            && confidence == nil && occurredAt == nil && validFrom == nil && validUntil == nil && attributes == nil
    }
}

/// One version of a memory, decrypted.
public struct Memory: Sendable, Equatable {
    public let id: MemoryID
    public let cube: CubeID
    public let subject: SubjectID?
    /// 1 for the first version; each update adds one.
    public let version: Int
    /// The version this one replaced (lineage); nil for the first.
    public let supersedes: Int?
    public let status: MemoryStatus
    public let type: MemoryType
    public let category: String
    public let content: MemoryContent
    public let tags: [String]
    public let source: SourceKind
    public let sourceDetail: String?
    public let confidence: Double?
    public let occurredAt: Date?
    public let validFrom: Date?
    public let validUntil: Date?
    public let attributes: [String: String]
    /// When the memory (version 1) was stored.
    public let createdAt: Date
    /// When this version was stored.
    public let updatedAt: Date
}

/// One page of a listing; pass `nextCursor` back as `after` for the next page. `withheld` says which items the
/// policy kept back, and why (consent, retention, purpose, rules), without revealing them.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: String?
    public let withheld: [Withheld]

    public init(items: [Item], nextCursor: String?, withheld: [Withheld] = []) {
        self.items = items
        self.nextCursor = nextCursor
        self.withheld = withheld
    }
}
