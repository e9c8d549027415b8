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
    /// The content's embedding, of the cube's dimension (from an `Embedder`, or supplied by the caller); sealed.
    public var embedding: [Float]?

    public init(
        content: MemoryContent, type: MemoryType = .longTerm, category: String? = nil, tags: [String] = [],
        source: SourceKind = .conversation, sourceDetail: String? = nil, confidence: Double? = nil,
        occurredAt: Date? = nil, validFrom: Date? = nil, validUntil: Date? = nil, attributes: [String: String] = [:],
        embedding: [Float]? = nil
    ) {
        self.embedding = embedding
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

    /// The sealed part.
    var payload: MemoryPayload {
        MemoryPayload(
            content: content, tags: tags, sourceDetail: sourceDetail, confidence: confidence, attributes: attributes)
    }

    /// The clear part of the first version, stored at `time` in a cube whose default category is `defaultCategory`.
    func fields(defaultCategory: String, at time: StoredTime) -> MemoryFields {
        MemoryFields(
            status: .active, type: type, category: category ?? defaultCategory, source: source,
            contentKind: content.kind, contentSize: content.byteCount,
            occurredAt: occurredAt.map(StoredTime.init(now:)),
            validFrom: validFrom.map(StoredTime.init(now:)), validUntil: validUntil.map(StoredTime.init(now:)),
            createdAt: time, updatedAt: time)
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
    /// A new embedding for the new version. Without one, the previous embedding carries over unless the content
    /// changes (an embedding of other words would mislead vector search), in which case the new version has none.
    public var embedding: [Float]?

    public init(
        content: MemoryContent? = nil, type: MemoryType? = nil, category: String? = nil, tags: [String]? = nil,
        source: SourceKind? = nil, sourceDetail: String? = nil, confidence: Double? = nil, occurredAt: Date? = nil,
        validFrom: Date? = nil, validUntil: Date? = nil, attributes: [String: String]? = nil, embedding: [Float]? = nil
    ) {
        self.embedding = embedding
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
            && embedding == nil
    }

    /// The next version's clear fields and sealed part: these changes over the current version's.
    func applied(
        to fields: MemoryFields, _ payload: MemoryPayload, at time: StoredTime
    ) -> (MemoryFields, MemoryPayload) {
        let content = content ?? payload.content
        let next = MemoryFields(
            status: fields.status, type: type ?? fields.type, category: category ?? fields.category,
            source: source ?? fields.source, contentKind: content.kind, contentSize: content.byteCount,
            occurredAt: occurredAt.map(StoredTime.init(now:)) ?? fields.occurredAt,
            validFrom: validFrom.map(StoredTime.init(now:)) ?? fields.validFrom,
            validUntil: validUntil.map(StoredTime.init(now:)) ?? fields.validUntil, createdAt: fields.createdAt,
            updatedAt: time)
        return (
            next,
            MemoryPayload(
                content: content, tags: tags ?? payload.tags, sourceDetail: sourceDetail ?? payload.sourceDetail,
                confidence: confidence ?? payload.confidence, attributes: attributes ?? payload.attributes)
        )
    }
}

/// One version of a memory, decrypted: its clear fields (`MemoryFields`) and its sealed payload.
public struct Memory: Sendable, Equatable {
    public let id: MemoryID
    public let cube: CubeID
    public let subject: SubjectID?
    /// 1 for the first version; each update adds one.
    public let version: Int
    /// The version this one replaced (lineage); nil for the first.
    public let supersedes: Int?
    let fields: MemoryFields
    let payload: MemoryPayload

    init(
        id: MemoryID, cube: CubeID, subject: SubjectID?, version: Int, supersedes: Int?, fields: MemoryFields,
        payload: MemoryPayload
    ) {
        self.id = id
        self.cube = cube
        self.subject = subject
        self.version = version
        self.supersedes = supersedes
        self.fields = fields
        self.payload = payload
    }

    init(record: MemoryRecord, payload: MemoryPayload) {
        self.init(
            id: record.id, cube: record.cube, subject: record.subject, version: record.version,
            supersedes: record.supersedes, fields: record.fields, payload: payload)
    }

    public var status: MemoryStatus { fields.status }
    public var type: MemoryType { fields.type }
    public var category: String { fields.category }
    public var source: SourceKind { fields.source }
    public var occurredAt: Date? { fields.occurredAt?.date }
    public var validFrom: Date? { fields.validFrom?.date }
    public var validUntil: Date? { fields.validUntil?.date }
    /// When the memory (version 1) was stored.
    public var createdAt: Date { fields.createdAt.date }
    /// When this version was stored.
    public var updatedAt: Date { fields.updatedAt.date }
    public var content: MemoryContent { payload.content }
    public var tags: [String] { payload.tags }
    public var sourceDetail: String? { payload.sourceDetail }
    public var confidence: Double? { payload.confidence }
    public var attributes: [String: String] { payload.attributes }
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
