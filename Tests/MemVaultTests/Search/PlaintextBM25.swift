import Foundation

/// A plaintext BM25 over already analysed terms, written from FTS5's definitions (fts5_aux.c): k1 = 1.2, b = 0.75,
/// idf = ln((N − n + 0.5) / (n + 0.5)) floored at 1e-6, document length in terms, each distinct query term once,
/// in query order. Ties go to the document added first. The reference the blind index must reproduce.
struct PlaintextBM25 {
    private var documents: [[String: Int]] = []
    private var lengths: [Int] = []
    private var frequency: [String: Int] = [:]

    mutating func add(_ terms: [String]) {
        var counts: [String: Int] = [:]
        for term in terms { counts[term, default: 0] += 1 }
        for term in counts.keys { frequency[term, default: 0] += 1 }
        documents.append(counts)
        lengths.append(terms.count)
    }

    /// The best `k` documents matching any query term, as (index, score), best first.
    func search(_ query: [String], k: Int) -> [(document: Int, score: Double)] {
        var seen: Set<String> = []
        let terms = query.filter { seen.insert($0).inserted }
        let n = Double(documents.count)
        let averageLength = Double(lengths.reduce(0, +)) / n
        let (k1, b) = (1.2, 0.75)
        let idf = terms.map { term -> Double in
            let containing = Double(frequency[term] ?? 0)
            let value = log((n - containing + 0.5) / (containing + 0.5))
            return value <= 0 ? 1e-6 : value
        }
        var scored: [(document: Int, score: Double)] = []
        for (index, document) in documents.enumerated() where terms.contains(where: { document[$0] != nil }) {
            let length = Double(lengths[index])
            var score = 0.0
            for (position, term) in terms.enumerated() {
                let tf = Double(document[term] ?? 0)
                score += idf[position] * ((tf * (k1 + 1.0)) / (tf + k1 * (1 - b + b * length / averageLength)))
            }
            scored.append((index, score))
        }
        return Array(scored.sorted { ($1.score, $0.document) < ($0.score, $1.document) }.prefix(k))
    }
}
