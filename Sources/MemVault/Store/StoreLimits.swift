import Foundation

/// Size and count limits, checked before anything is encrypted or stored. Every violation is a `limit_exceeded`
/// or `invalid_argument` error that names the limit.
public struct StoreLimits: Sendable, Equatable {
    public var maximumTextBytes = 1 << 20
    public var maximumBinaryBytes = 64 << 20
    public var maximumBatch = 1_000
    public var maximumTags = 64
    public var maximumTagBytes = 256
    public var maximumAttributes = 64
    public var maximumAttributeBytes = 4_096
    public var maximumDetailBytes = 4_096
    public var maximumNameBytes = 256
    public var maximumExternalIDBytes = 256
    public var maximumPageSize = 1_000
    /// Search: results per query, cubes per query, distinct query terms, query text, and how many ranked
    /// matches one search may open while filling its results past withheld ones.
    public var maximumSearchResults = 100
    public var maximumSearchCubes = 100
    public var maximumQueryTerms = 64
    public var maximumQueryBytes = 4_096
    public var maximumSearchScan = 2_000
    /// Embedding dimensions a cube may declare.
    public var maximumEmbeddingDimension = 4_096
    /// One import (a cube from a bundle, a module or another platform's dump) is one unit of work: its memories and
    /// each memory's versions are bounded so that the unit stays a bounded write.
    public var maximumImportMemories = 100_000
    public var maximumImportVersions = 1_000
    /// A bundle or foreign dump is read whole into memory before anything is imported.
    public var maximumBundleBytes = 256 << 20

    public init() {}

    func check(_ memory: NewMemory) throws {
        try check(content: memory.content)
        try check(tags: memory.tags)
        try check(attributes: memory.attributes)
        try checkText(memory.sourceDetail, "source detail", maximumDetailBytes)
        try check(confidence: memory.confidence)
        try check(validFrom: memory.validFrom, validUntil: memory.validUntil)
        if let category = memory.category { _ = try Token.validate(category, what: "category") }
    }

    func check(content: MemoryContent) throws {
        switch content {
        case .text(let text):
            guard !text.isEmpty else { throw MemVaultError(.invalidArgument, "content is empty") }
            try checkSize(text.utf8.count, maximumTextBytes, "text content")
        case .binary(let bytes, let mediaType):
            guard !bytes.isEmpty else { throw MemVaultError(.invalidArgument, "content is empty") }
            try checkSize(bytes.count, maximumBinaryBytes, "binary content")
            try Self.checkMediaType(mediaType)
        }
    }

    func check(tags: [String]) throws {
        guard tags.count <= maximumTags else {
            throw MemVaultError(.limitExceeded, "\(tags.count) tags; at most \(maximumTags) are allowed")
        }
        for tag in tags {
            guard !tag.isEmpty else { throw MemVaultError(.invalidArgument, "a tag is empty") }
            try checkText(tag, "a tag", maximumTagBytes)
        }
    }

    func check(attributes: [String: String]) throws {
        guard attributes.count <= maximumAttributes else {
            throw MemVaultError(
                .limitExceeded, "\(attributes.count) attributes; at most \(maximumAttributes) are allowed")
        }
        for (key, value) in attributes {
            guard !key.isEmpty else { throw MemVaultError(.invalidArgument, "an attribute name is empty") }
            try checkText(key, "an attribute name", maximumTagBytes)
            try checkText(value, "an attribute value", maximumAttributeBytes)
        }
    }

    func check(confidence: Double?) throws {
        guard let confidence else { return }
        guard confidence.isFinite, (0...1).contains(confidence) else {
            throw MemVaultError(.invalidArgument, "confidence must be between 0 and 1")
        }
    }

    func check(validFrom: Date?, validUntil: Date?) throws {
        if let validFrom, let validUntil, validUntil < validFrom {
            throw MemVaultError(.invalidArgument, "validUntil is before validFrom")
        }
    }

    func check(batch count: Int) throws {
        guard count <= maximumBatch else {
            throw MemVaultError(.limitExceeded, "a batch of \(count) memories; at most \(maximumBatch) are allowed")
        }
    }

    func check(search query: SearchQuery) throws {
        guard (1...maximumSearchResults).contains(query.limit) else {
            throw MemVaultError(.invalidArgument, "k = \(query.limit); use 1 to \(maximumSearchResults) results")
        }
        if query.mode != .vector, query.text.allSatisfy(\.isWhitespace) {
            throw MemVaultError(.invalidArgument, "the query is empty")
        }
        if query.mode != .lexical {
            guard let vector = query.vector else {
                throw MemVaultError(.invalidArgument, "\(query.mode.rawValue) search needs a query vector")
            }
            guard vector.allSatisfy(\.isFinite), vector.contains(where: { $0 != 0 }) else {
                throw MemVaultError(.invalidArgument, "the query vector must be finite and not all zeros")
            }
        }
        if case .linear(let weight) = query.fusion, !(0...1).contains(weight) {
            throw MemVaultError(.invalidArgument, "the vector weight \(weight) is outside 0…1")
        }
        guard query.text.utf8.count <= maximumQueryBytes else {
            throw MemVaultError(.invalidArgument, "the query is longer than \(maximumQueryBytes) bytes")
        }
        try check(tags: query.tags)
        guard !query.filter.statuses.isEmpty else { throw MemVaultError(.invalidArgument, "no statuses to search") }
        if case .cubes(let cubes) = query.scope {
            guard !cubes.isEmpty else { throw MemVaultError(.invalidArgument, "no cubes to search") }
            guard cubes.count <= maximumSearchCubes else {
                throw MemVaultError(.invalidArgument, "more than \(maximumSearchCubes) cubes in one search")
            }
            guard Set(cubes).count == cubes.count else {
                throw MemVaultError(.invalidArgument, "a cube is listed twice")
            }
        }
        if let from = query.filter.occurredFrom, let until = query.filter.occurredUntil, from > until {
            throw MemVaultError(.invalidArgument, "the occurred-at range ends before it starts")
        }
    }

    /// An embedding for a cube of `dimension` (nil: the cube keeps none).
    func check(embedding: [Float], dimension: Int?, what: String) throws {
        guard let dimension else {
            throw MemVaultError(
                .invalidArgument, "\(what): the cube was created without an embedding dimension; it keeps no embeddings"
            )
        }
        guard embedding.count == dimension else {
            throw MemVaultError(
                .invalidArgument, "\(what) has \(embedding.count) dimensions; the cube's embeddings have \(dimension)")
        }
        guard embedding.allSatisfy(\.isFinite) else {
            throw MemVaultError(.invalidArgument, "\(what) has a value that is not a finite number")
        }
        guard embedding.contains(where: { $0 != 0 }) else {
            throw MemVaultError(.invalidArgument, "\(what) is all zeros: it has no direction to compare")
        }
    }

    func check(pageSize: Int) throws {
        guard (1...maximumPageSize).contains(pageSize) else {
            throw MemVaultError(.invalidArgument, "page size \(pageSize); use 1 to \(maximumPageSize)")
        }
    }

    func checkText(_ value: String?, _ what: String, _ maximum: Int) throws {
        guard let value else { return }
        try checkSize(value.utf8.count, maximum, what)
    }

    private func checkSize(_ size: Int, _ maximum: Int, _ what: String) throws {
        guard size <= maximum else {
            throw MemVaultError(.limitExceeded, "\(what) is \(size) bytes; the limit is \(maximum) bytes")
        }
    }

    /// `type/subtype` with RFC 6838 restricted-name characters.
    static func checkMediaType(_ value: String) throws {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+")
        guard parts.count == 2, parts.allSatisfy({ (1...127).contains($0.count) && $0.allSatisfy(allowed.contains) })
        else {
            throw MemVaultError(
                .invalidArgument,
                "invalid media type: expected type/subtype of letters, digits and !#$&-^_.+, e.g. application/octet-stream"
            )
        }
    }
}
