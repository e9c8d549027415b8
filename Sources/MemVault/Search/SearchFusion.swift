/// Combining a lexical and a vector ranking into one.
enum SearchFusion {
    struct Candidate: Equatable {
        let memory: MemoryID
        let score: Double
        let lexical: Double?
        let vector: Double?
    }

    /// Candidates from both rankings, best first. A ranking that is empty leaves the other as it is.
    static func fuse(
        lexical: [(memory: MemoryID, score: Double)], vector: [(memory: MemoryID, score: Double)], _ fusion: Fusion
    ) -> [Candidate] {
        let lexicalScores = Dictionary(lexical.map { ($0.memory, $0.score) }, uniquingKeysWith: max)
        let vectorScores = Dictionary(vector.map { ($0.memory, $0.score) }, uniquingKeysWith: max)
        // First appearance, lexical first: the order equal fused scores keep.
        var order: [MemoryID] = []
        var seen: Set<MemoryID> = []
        for memory in lexical.map(\.memory) + vector.map(\.memory) where seen.insert(memory).inserted {
            order.append(memory)
        }
        let fused: (MemoryID) -> Double
        if lexical.isEmpty || vector.isEmpty {
            fused = { lexicalScores[$0] ?? vectorScores[$0] ?? 0 }
        } else {
            switch fusion {
            case .linear(let weight):
                let lexicalNormalised = normalised(lexicalScores)
                let vectorNormalised = normalised(vectorScores)
                fused = { (1 - weight) * (lexicalNormalised[$0] ?? 0) + weight * (vectorNormalised[$0] ?? 0) }
            case .reciprocalRank:
                let lexicalRanks = ranks(lexical.map(\.memory))
                let vectorRanks = ranks(vector.map(\.memory))
                fused = { memory in
                    [lexicalRanks[memory], vectorRanks[memory]].compactMap { $0 }
                        .reduce(0) { $0 + 1 / (Fusion.reciprocalRankConstant + Double($1)) }
                }
            }
        }
        return order.enumerated()
            .map {
                (
                    $0.offset,
                    Candidate(
                        memory: $0.element, score: fused($0.element), lexical: lexicalScores[$0.element],
                        vector: vectorScores[$0.element])
                )
            }
            .sorted { ($0.1.score, $1.0) > ($1.1.score, $0.0) }
            .map(\.1)
    }

    /// Min-max normalisation to 0…1; all equal scores become 1.
    static func normalised(_ scores: [MemoryID: Double]) -> [MemoryID: Double] {
        guard let low = scores.values.min(), let high = scores.values.max() else { return [:] }
        return scores.mapValues { high > low ? ($0 - low) / (high - low) : 1 }
    }

    /// 1-based ranks.
    private static func ranks(_ memories: [MemoryID]) -> [MemoryID: Int] {
        var ranks: [MemoryID: Int] = [:]
        for (index, memory) in memories.enumerated() where ranks[memory] == nil { ranks[memory] = index + 1 }
        return ranks
    }
}
