import Dispatch
import MemVaultPolicy
import Synchronization

/// Search: lexical (BM25 over the blind index), vector (exact cosine over opened embeddings) or both fused; then
/// every candidate verified, opened, filtered and decided like a read.
extension TenantStore {
    /// The best matches of `query` the policy allows for the declared purpose, best first. One audit entry lists
    /// the ids returned and how many were withheld; neither the query text nor its vector is recorded.
    ///
    /// With an `embedder`, a query with words and no vector is embedded here, at search time, when the scope has
    /// cubes that name that model: unless the query asks for a mode, the search is then hybrid. The vector is
    /// compared only with those cubes' embeddings.
    public func search(_ query: SearchQuery, embedder: (any Embedder)? = nil) async throws -> SearchResults {
        let query = try await embedded(query, with: embedder)
        try limits.check(search: query)
        let (subject, cube): (SubjectID?, CubeID?) =
            switch query.scope {
            case .subject(let subject): (subject, nil)
            case .cubes(let cubes): (nil, cubes.count == 1 ? cubes[0] : nil)
            }
        return try await perform(.searchMemories, subject: subject, cube: cube) { [self] work in
            let scope = try searchableCubes(query, in: work)
            var hits: [SearchHit] = []
            var withheld = WithheldTally()
            // Candidates the filters or the policy set aside do not count against the limit: read further until
            // it is filled or the rankings run out.
            var fetch = query.limit
            while true {
                // The vector scan needs no storage once the cubes' embeddings are loaded: it runs on other cores
                // while this thread ranks by words in the unit's transaction.
                let sets = query.mode == .lexical ? [] : try scope.vector.compactMap { try vectorSet($0, in: work) }
                let scan = VectorScan(
                    sets: sets, query: query.vector, fetch: fetch, inBackground: query.mode == .hybrid)
                let lexical = query.mode == .vector ? [] : try lexicalMatches(query, scope.lexical, fetch, work)
                let vector = scan.result()
                hits = []
                withheld = WithheldTally()
                for candidate in SearchFusion.fuse(lexical: lexical, vector: vector, query.fusion)
                where hits.count < query.limit {
                    let record = try governedCurrent(candidate.memory, in: work)
                    // Every candidate is verified, kept or not: an edited row fails the search rather than hiding.
                    let memory = try open(record, current: true, in: work.transaction)
                    guard query.admits(memory) else { continue }
                    let decision = work.decide(.search, record, governance: try work.governance(for: record))
                    guard decision.isPermitted else {
                        withheld.add(decision)
                        continue
                    }
                    hits.append(
                        SearchHit(
                            memory: memory, score: candidate.score, lexicalScore: candidate.lexical,
                            vectorScore: candidate.vector))
                }
                let exhausted = lexical.count < fetch && vector.count < fetch
                guard hits.count < query.limit, !exhausted, fetch < limits.maximumSearchScan else { break }
                fetch = min(fetch * 4, limits.maximumSearchScan)
            }
            work.memories = hits.map(\.memory.id)
            work.returned = UInt64(hits.count)
            work.withheld = UInt64(withheld.count)
            work.detail = query.mode.rawValue
            let awaiting = try scope.vector.filter { $0.embedder != nil }.reduce(0) {
                $0 + (try work.transaction.awaitingEmbedding(in: $1.record.id))
            }
            return SearchResults(
                hits: hits, withheld: withheld.summary, deniedCubes: scope.denied, mode: query.mode,
                awaitingEmbedding: awaiting)
        }
    }

    /// The query with its vector made by `embedder`, if it has words and no vector, does not ask for lexical
    /// search, and the scope has cubes naming that model; else the query as it is.
    private func embedded(_ query: SearchQuery, with embedder: (any Embedder)?) async throws -> SearchQuery {
        guard let embedder, query.vector == nil, query.requestedMode != .lexical,
            !query.text.allSatisfy(\.isWhitespace), await scope(query.scope, names: embedder.name)
        else { return query }
        try limits.checkText(query.text, "the query", limits.maximumQueryBytes)
        guard let vector = try await embedder.embed([query.text]).first, vector.count == embedder.dimension else {
            throw MemVaultError(.invalidArgument, "the embedder returned no vector of its dimension for the query")
        }
        var query = query
        query.vector = vector
        query.vectorModel = embedder.name
        return query
    }

    /// Whether any cube of the scope names the model (read from a snapshot, or the cache of verified cubes; a scope
    /// that cannot be read says no, and the search itself reports why).
    private func scope(_ scope: SearchQuery.Scope, names model: String) async -> Bool {
        let contexts: [CubeContext]?
        switch scope {
        case .cubes(let cubes):
            var found: [CubeContext] = []
            for cube in cubes {
                guard let context = try? await cubeContext(cube) else { return false }
                found.append(context)
            }
            contexts = found
        case .subject(let subject):
            contexts = try? await storage.read { [self] reader in
                try reader.cubes(.subject(subject), after: nil, limit: limits.maximumSearchCubes).map {
                    try verifiedContext(for: $0, in: reader)
                }
            }
        }
        return contexts?.contains { $0.embedder == model } ?? false
    }

    /// The scope's cubes, each subject decided first: a subject the policy does not allow searching for the
    /// purpose is left out (or, if it is the whole scope, the search is denied). Lexical search runs over the
    /// indexed cubes in groups sharing an index key and a text analysis; vector search over the cubes with
    /// embeddings.
    private func searchableCubes(
        _ query: SearchQuery, in work: TenantWork
    ) throws -> (lexical: [SearchGroup], vector: [CubeContext], denied: [CubeID]) {
        let contexts: [CubeContext]
        switch query.scope {
        case .subject(let subject):
            _ = try verifiedSubject(subject, in: work.transaction)
            work.subject = subject
            contexts = try work.transaction.cubes(.subject(subject), after: nil, limit: limits.maximumSearchCubes + 1)
                .map { try verifiedContext(for: $0, in: work.transaction) }
            guard contexts.count <= limits.maximumSearchCubes else {
                throw MemVaultError(
                    .invalidArgument,
                    "the subject has more than \(limits.maximumSearchCubes) cubes; search a list of them instead")
            }
        case .cubes(let cubes):
            contexts = try cubes.map { try cubeContext($0, in: work.transaction) }
            if contexts.count == 1 { work.subject = contexts[0].record.subject }
            if query.mode == .lexical, let unindexed = contexts.first(where: { !$0.analysis.indexed }) {
                throw MemVaultError(
                    .invalidArgument,
                    "cube \(unindexed.record.id) was created without a search index; it cannot be searched by words")
            }
        }
        /// Cubes whose embeddings the query's vector can be compared with.
        func comparable(_ context: CubeContext) -> Bool {
            context.embeddingDimension != nil && (query.vectorModel == nil || context.embedder == query.vectorModel)
        }
        if let vector = query.vector {
            for context in contexts where comparable(context) {
                guard let dimension = context.embeddingDimension else { continue }
                guard vector.count == dimension else {
                    throw MemVaultError(
                        .invalidArgument,
                        "the query vector has \(vector.count) dimensions; cube \(context.record.id)'s embeddings "
                            + "have \(dimension)")
                }
            }
            if query.mode == .vector, !contexts.contains(where: comparable) {
                throw MemVaultError(.invalidArgument, "no cube in the scope keeps embeddings")
            }
        }
        var allowed: [CubeContext] = []
        var denied: [CubeID] = []
        var lastDenial: Decision?
        let owners = Dictionary(grouping: contexts, by: \.record.subject)
        for (owner, cubes) in owners.sorted(by: { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }) {
            let decision = work.decide(
                .search, category: nil, governance: try work.governance(subject: owner, cubes: cubes.map(\.record.id)))
            guard decision.isPermitted else {
                denied += cubes.map(\.record.id)
                lastDenial = decision
                continue
            }
            allowed += cubes
        }
        if allowed.isEmpty, let lastDenial { try work.require(lastDenial) }
        allowed.sort { $0.record.id < $1.record.id }
        var lexical: [SearchGroup] = []
        let indexed = allowed.filter(\.analysis.indexed)
        for (_, cubes) in Dictionary(grouping: indexed, by: { GroupKey(owner: $0.owner, analysis: $0.analysis) }) {
            lexical.append(
                SearchGroup(owner: cubes[0].owner, analysis: cubes[0].analysis, cubes: cubes.map(\.record.id)))
        }
        lexical.sort { $0.cubes[0] < $1.cubes[0] }
        return (lexical, allowed.filter(comparable), denied.sorted())
    }

    /// Each group's best `fetch` matches, merged best first (equal scores keep each group's order).
    private func lexicalMatches(
        _ query: SearchQuery, _ groups: [SearchGroup], _ fetch: Int, _ work: TenantWork
    ) throws -> [(memory: MemoryID, score: Double)] {
        var merged: [LexicalHit] = []
        for group in groups {
            // No key yet means nothing of this owner was ever sealed, so nothing is indexed.
            guard let key = try keys.blindIndexKey(tenant, owner: group.owner, createIfMissing: false) else { continue }
            var seen: Set<String> = []
            let terms = TextAnalyzer(group.analysis).terms(query.text).filter { seen.insert($0).inserted }
            guard !terms.isEmpty else { continue }
            merged += try work.transaction.searchLexical(
                LexicalQuery(
                    terms: try key.terms(Array(terms.prefix(limits.maximumQueryTerms))), cubes: group.cubes,
                    labels: try Set(query.tags.map(IndexedDocument.foldTag)).sorted().map(key.label),
                    filter: query.filter, limit: fetch))
        }
        return merged.enumerated().sorted { ($1.element.score, $0.offset) < ($0.element.score, $1.offset) }
            .prefix(fetch).map { ($0.element.memory, $0.element.score) }
    }

}

/// Cubes searched together by words: one index key (their owner's) and one text analysis.
private struct SearchGroup {
    let owner: DataKeyOwner
    let analysis: TextAnalysis
    let cubes: [CubeID]
}

private struct GroupKey: Hashable {
    let owner: DataKeyOwner
    let analysis: TextAnalysis
}

extension SearchQuery {
    /// The filters, checked on an opened memory: vector candidates come from every embedding of the cube.
    func admits(_ memory: Memory) -> Bool {
        guard filter.statuses.contains(memory.status) else { return false }
        if let types = filter.types, !types.contains(memory.type) { return false }
        if let categories = filter.categories, !categories.contains(memory.category) { return false }
        let occurred = memory.occurredAt.map(StoredTime.init(now:))
        if let from = filter.occurredFrom, !(occurred.map { $0 >= from } ?? false) { return false }
        if let until = filter.occurredUntil, !(occurred.map { $0 <= until } ?? false) { return false }
        if let time = filter.validAt {
            if let validFrom = memory.validFrom.map(StoredTime.init(now:)), validFrom > time { return false }
            if let validUntil = memory.validUntil.map(StoredTime.init(now:)), validUntil <= time { return false }
        }
        if !tags.isEmpty {
            let carried = Set(memory.tags.map(IndexedDocument.foldTag))
            guard tags.allSatisfy({ carried.contains(IndexedDocument.foldTag($0)) }) else { return false }
        }
        return true
    }
}

/// The `fetch` embeddings nearest a query vector (cosine) over several cubes' sets: for hybrid search computed on a
/// background queue from the moment it is made, while the caller ranks by words; `result()` waits for it.
private final class VectorScan: Sendable {
    private let group = DispatchGroup()
    private let matches = Mutex<[(memory: MemoryID, score: Double)]>([])

    init(sets: [VectorSet], query: [Float]?, fetch: Int, inBackground: Bool) {
        guard let query, !sets.isEmpty else { return }
        let work: @Sendable () -> Void = { [self] in
            let merged = sets.flatMap { $0.nearest(query, limit: fetch) }
                .sorted { ($0.score, $1.memory) > ($1.score, $0.memory) }.prefix(fetch)
            matches.withLock { $0 = Array(merged) }
        }
        // Alone, the scan runs here: a thread hop would only add its latency.
        if inBackground { DispatchQueue.global().async(group: group, execute: work) } else { work() }
    }

    func result() -> [(memory: MemoryID, score: Double)] {
        group.wait()
        return matches.withLock { $0 }
    }
}
