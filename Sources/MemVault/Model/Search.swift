import Foundation

/// A search over memories: free text, within one subject's cubes or a list of cubes, with filters.
public struct SearchQuery: Sendable {
    public enum Scope: Sendable, Equatable {
        /// Every cube the subject owns.
        case subject(SubjectID)
        /// These cubes (of one or several subjects, or shared); each subject is decided on its own.
        case cubes([CubeID])
    }

    public var scope: Scope
    public var text: String
    /// How many results to return, best first.
    public var limit: Int
    /// Tags a memory must all carry (compared folded: case and accents do not matter).
    public var tags: [String]
    public var filter: SearchFilter
    /// An embedding of what is looked for, of the scope's cubes' dimension.
    public var vector: [Float]?
    /// The model that made `vector`, when the store embedded the query (`search(_:embedder:)`): only cubes naming
    /// that model are compared with it. Nil for a vector the caller supplied.
    public var vectorModel: String?
    /// The mode asked for; nil lets the store choose (see `mode`).
    public var requestedMode: SearchMode?
    /// How hybrid search combines its two rankings.
    public var fusion: Fusion

    /// The mode asked for, else lexical without a vector, vector without text, hybrid with both.
    public var mode: SearchMode {
        get { requestedMode ?? (vector == nil ? .lexical : text.allSatisfy(\.isWhitespace) ? .vector : .hybrid) }
        set { requestedMode = newValue }
    }

    /// `mode` nil lets the store choose: hybrid when the query has words and a vector (or an embedder to make one
    /// and cubes that name it), lexical otherwise.
    public init(
        _ text: String, in scope: Scope, limit: Int = 10, tags: [String] = [], filter: SearchFilter = SearchFilter(),
        vector: [Float]? = nil, mode: SearchMode? = nil, fusion: Fusion = .defaultHybrid
    ) {
        self.scope = scope
        self.text = text
        self.limit = limit
        self.tags = tags
        self.filter = filter
        self.vector = vector
        self.requestedMode = mode
        self.fusion = fusion
    }
}

public enum SearchMode: String, Sendable, Codable, CaseIterable {
    /// BM25 over the blind index.
    case lexical
    /// Exact cosine similarity over the embeddings.
    case vector
    /// Both, fused.
    case hybrid
}

public enum Fusion: Sendable, Equatable {
    /// What hybrid search uses unless asked otherwise: linear fusion weighting the vector ranking 0.4, chosen on
    /// LoCoMo's dev file with all-MiniLM-L6-v2 (R@10 0.688, MRR 0.509; 0.5 gave 0.679 / 0.494, reciprocal rank
    /// fusion 0.605 / 0.429; docs/benchmarks.md has the sweep).
    public static let defaultHybrid = Fusion.linear(vectorWeight: 0.4)

    /// Each ranking's scores min-max normalised over its candidates, then weighted: `vectorWeight` for the vector
    /// score, the rest for the lexical one.
    case linear(vectorWeight: Double)
    /// Reciprocal rank fusion (Cormack et al., 2009): the sum of 1 / (60 + rank) over the rankings.
    case reciprocalRank

    static let reciprocalRankConstant = 60.0
}

/// Which part of the ranking found a result.
public enum SearchMatch: String, Sendable, Codable, CaseIterable {
    case lexical
    case vector
}

/// One result: the memory, opened and permitted, with its score.
public struct SearchHit: Sendable {
    public let memory: Memory
    /// The ranking score (BM25 for lexical search, cosine for vector search, the fused score for hybrid); higher
    /// is better.
    public let score: Double
    public let lexicalScore: Double?
    public let vectorScore: Double?
    /// Which rankings found it.
    public var matched: Set<SearchMatch> {
        Set([lexicalScore.map { _ in .lexical }, vectorScore.map { _ in .vector }].compactMap { $0 })
    }
}

/// What a search returned, and what the policy withheld from it.
public struct SearchResults: Sendable {
    public let hits: [SearchHit]
    /// Matches the policy did not allow for the declared purpose, grouped by the rules that withheld them.
    public let withheld: [Withheld]
    /// Cubes left out because the policy does not allow searching their subject for the purpose.
    public let deniedCubes: [CubeID]
    /// The mode the search ran in (the one asked for, or the store's choice).
    public let mode: SearchMode
    /// Memories of the searched cubes that name an embedder which are not embedded yet: vector search could not
    /// see them (the indexer's backlog).
    public let awaitingEmbedding: Int
}
