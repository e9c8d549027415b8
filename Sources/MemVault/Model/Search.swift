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

    public init(
        _ text: String, in scope: Scope, limit: Int = 10, tags: [String] = [], filter: SearchFilter = SearchFilter()
    ) {
        self.scope = scope
        self.text = text
        self.limit = limit
        self.tags = tags
        self.filter = filter
    }
}

/// Which part of the ranking found a result.
public enum SearchMatch: String, Sendable, Codable, CaseIterable {
    case lexical
}

/// One result: the memory, opened and permitted, with its score.
public struct SearchHit: Sendable {
    public let memory: Memory
    /// The ranking score (BM25 for lexical search); higher is better.
    public let score: Double
    public let lexicalScore: Double?
    public let matched: Set<SearchMatch>
}

/// What a search returned, and what the policy withheld from it.
public struct SearchResults: Sendable {
    public let hits: [SearchHit]
    /// Matches the policy did not allow for the declared purpose, grouped by the rules that withheld them.
    public let withheld: [Withheld]
    /// Cubes left out because the policy does not allow searching their subject for the purpose.
    public let deniedCubes: [CubeID]
}
