import MemVaultPolicy

/// Search: ranked over the blind index, then every match verified, opened and decided like a read.
extension TenantStore {
    /// The best matches of `query` the policy allows for the declared purpose, best first. One audit entry lists
    /// the ids returned and how many were withheld; the query text is never recorded.
    public func search(_ query: SearchQuery) async throws -> SearchResults {
        try limits.check(search: query)
        let (subject, cube): (SubjectID?, CubeID?) =
            switch query.scope {
            case .subject(let subject): (subject, nil)
            case .cubes(let cubes): (nil, cubes.count == 1 ? cubes[0] : nil)
            }
        return try await perform(.searchMemories, subject: subject, cube: cube) { [self] work in
            let groups = try searchableGroups(query.scope, in: work)
            var hits: [SearchHit] = []
            var withheld = WithheldTally()
            // Matches the policy withholds do not count against the limit: fetch more until it is filled.
            var fetch = query.limit
            while true {
                let ranked = try rankedMatches(query, groups: groups.allowed, fetch: fetch, in: work)
                hits = []
                withheld = WithheldTally()
                for match in ranked where hits.count < query.limit {
                    let record = try governedCurrent(match.memory, in: work)
                    // Every match is verified, withheld or not: an edited row fails the search rather than hiding.
                    let memory = try open(record, current: true, in: work.transaction)
                    let decision = work.decide(.search, record, governance: try work.governance(for: record))
                    guard decision.isPermitted else {
                        withheld.add(decision)
                        continue
                    }
                    hits.append(
                        SearchHit(memory: memory, score: match.score, lexicalScore: match.score, matched: [.lexical]))
                }
                guard hits.count < query.limit, ranked.count == fetch, fetch < limits.maximumSearchScan else { break }
                fetch = min(fetch * 4, limits.maximumSearchScan)
            }
            work.memories = hits.map(\.memory.id)
            work.returned = UInt64(hits.count)
            work.withheld = UInt64(withheld.count)
            work.detail = "lexical"
            return SearchResults(hits: hits, withheld: withheld.summary, deniedCubes: groups.denied)
        }
    }

    /// The scope's cubes in groups that share an index key and a text analysis, each subject decided first: a
    /// subject the policy does not allow searching for the purpose is left out (or, if it is the whole scope, the
    /// search is denied).
    private func searchableGroups(
        _ scope: SearchQuery.Scope, in work: TenantWork
    ) throws -> (allowed: [SearchGroup], denied: [CubeID]) {
        let contexts: [CubeContext]
        switch scope {
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
            if let unindexed = contexts.first(where: { !$0.analysis.indexed }) {
                throw MemVaultError(
                    .invalidArgument,
                    "cube \(unindexed.record.id) was created without a search index; it cannot be searched")
            }
        }
        let owners = Dictionary(grouping: contexts, by: \.record.subject)
        var allowed: [SearchGroup] = []
        var denied: [CubeID] = []
        var lastDenial: Decision?
        for (owner, cubes) in owners.sorted(by: { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }) {
            let decision = work.decide(
                .search, category: nil, governance: try work.governance(subject: owner, cubes: cubes.map(\.record.id)))
            guard decision.isPermitted else {
                denied += cubes.map(\.record.id)
                lastDenial = decision
                continue
            }
            for (analysis, cubes) in Dictionary(grouping: cubes.filter(\.analysis.indexed), by: \.analysis) {
                allowed.append(SearchGroup(owner: cubes[0].owner, analysis: analysis, cubes: cubes.map(\.record.id)))
            }
        }
        if allowed.isEmpty, let lastDenial { try work.require(lastDenial) }
        return (allowed.sorted { $0.cubes[0] < $1.cubes[0] }, denied.sorted())
    }

    /// Each group's best `fetch` matches, merged best first (equal scores keep each group's order).
    private func rankedMatches(
        _ query: SearchQuery, groups: [SearchGroup], fetch: Int, in work: TenantWork
    ) throws -> [LexicalHit] {
        var merged: [LexicalHit] = []
        for group in groups {
            // No key yet means nothing of this owner was ever sealed, so nothing is indexed.
            guard let key = try keys.blindIndexKey(tenant, owner: group.owner, createIfMissing: false) else { continue }
            var seen: Set<String> = []
            let terms = TextAnalyzer(group.analysis).terms(query.text).filter { seen.insert($0).inserted }
            guard !terms.isEmpty else { continue }
            merged += try work.transaction.searchLexical(
                LexicalQuery(
                    terms: try terms.prefix(limits.maximumQueryTerms).map(key.term), cubes: group.cubes,
                    labels: try Set(query.tags.map(IndexedDocument.foldTag)).sorted().map(key.label),
                    filter: query.filter, limit: fetch))
        }
        return Array(
            merged.enumerated().sorted { ($1.element.score, $0.offset) < ($0.element.score, $1.offset) }
                .map(\.element).prefix(fetch))
    }
}

/// Cubes searched together: one index key (their owner's) and one text analysis.
private struct SearchGroup {
    let owner: DataKeyOwner
    let analysis: TextAnalysis
    let cubes: [CubeID]
}
