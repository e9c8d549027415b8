/// A memory's entry in the search index: blind terms only (keyed hashes, `BlindIndexKey`), never text.
public struct IndexedDocument: Sendable, Equatable {
    public let memory: MemoryID
    /// The content's blind terms; only how often each occurs and how many there are count for ranking, so a
    /// backend may store them in any order.
    public let terms: [String]
    /// The blind forms of the memory's tags: for filtering, never ranked.
    public let labels: [String]

    public init(memory: MemoryID, terms: [String], labels: [String]) {
        self.memory = memory
        self.terms = terms
        self.labels = labels
    }
}

/// A lexical query over one owner's part of the index: the blind terms (distinct, in query order) and the clear
/// filters, all of which must hold.
public struct LexicalQuery: Sendable, Equatable {
    public var terms: [String]
    /// Cubes to search, all under the owner whose key made `terms`.
    public var cubes: [CubeID]
    /// Blind tag labels a memory must all carry.
    public var labels: [String]
    public var filter: SearchFilter
    public var limit: Int

    public init(terms: [String], cubes: [CubeID], labels: [String], filter: SearchFilter, limit: Int) {
        self.terms = terms
        self.cubes = cubes
        self.labels = labels
        self.filter = filter
        self.limit = limit
    }
}

/// Filters on a memory's clear fields.
public struct SearchFilter: Sendable, Equatable {
    public var statuses: Set<MemoryStatus>
    public var types: Set<MemoryType>?
    public var categories: Set<String>?
    /// Inclusive bounds on `occurredAt`; a memory without one does not match a bounded range.
    public var occurredFrom: StoredTime?
    public var occurredUntil: StoredTime?
    /// Only memories valid at this time (`validFrom` ≤ t < `validUntil`, open ends unbounded).
    public var validAt: StoredTime?

    public init(
        statuses: Set<MemoryStatus> = [.active], types: Set<MemoryType>? = nil, categories: Set<String>? = nil,
        occurredFrom: StoredTime? = nil, occurredUntil: StoredTime? = nil, validAt: StoredTime? = nil
    ) {
        self.statuses = statuses
        self.types = types
        self.categories = categories
        self.occurredFrom = occurredFrom
        self.occurredUntil = occurredUntil
        self.validAt = validAt
    }
}

/// One ranked match: BM25 over the index, higher is better.
public struct LexicalHit: Sendable, Equatable {
    public let memory: MemoryID
    public let score: Double

    public init(memory: MemoryID, score: Double) {
        self.memory = memory
        self.score = score
    }
}

/// Reading the search index's entries.
public protocol SearchIndexReader {
    /// The index's entry for a memory, as stored (for tests and the at-rest scanner); nil if it has none.
    func indexedDocument(_ memory: MemoryID) throws -> IndexedDocument?
}

/// Changing and searching the search index, in a unit of work: changes always in the unit of work that changes the
/// memory, so the two never disagree (only current versions are indexed; deleting a memory or a cube, through
/// `MemoryRecords` or `CubeRecords`, removes their entries in the same call). A backend may write entries in
/// batches behind the scenes, but a search sees every entry committed before it. Ranking is Okapi BM25 (k1 = 1.2, b = 0.75) with SQLite FTS5's definitions, which
/// every backend reproduces exactly: idf = ln((N − n + 0.5) / (n + 0.5)), at least 1e-6, over the N documents of
/// the tenant's index and the n containing the term; document length in terms against the tenant's average.
/// Ties go to the memory indexed first.
public protocol SearchIndexRecords: SearchIndexReader {
    /// Indexes a memory's current version, replacing any entry it had.
    func index(_ documents: [IndexedDocument]) throws
    /// Indexes memories added in this unit of work, which have no entry yet: the backend need not look for one, and
    /// fails if it finds one.
    func indexAdded(_ documents: [IndexedDocument]) throws
    /// The best `query.limit` matches of any of the query's terms, best first.
    func searchLexical(_ query: LexicalQuery) throws -> [LexicalHit]
}
