import Foundation
import Testing

@testable import MemVault

@Suite("Blind index ranks like plaintext BM25")
struct BlindIndexEquivalenceTests {
    /// A Zipf-like corpus: a few words very common, most rare, documents of varied length.
    struct Corpus {
        var generator: SeededGenerator
        let vocabulary: [String]

        init(seed: UInt64, words: Int) {
            generator = SeededGenerator(seed: seed)
            var letters = SeededGenerator(seed: seed ^ 0x5EED)
            vocabulary = (0..<words).map { index in
                "w"
                    + String(
                        (0..<(3 + index % 5)).map { _ in Character(UnicodeScalar(97 + Int(letters.next() % 26))!) })
            }
        }

        mutating func word() -> String {
            // Rank r is drawn with probability ~ 1/r.
            let u = Double(generator.next() % 1_000_000) / 1_000_000
            let rank = Int(pow(Double(vocabulary.count), u)) - 1
            return vocabulary[min(max(rank, 0), vocabulary.count - 1)]
        }

        mutating func text(words: ClosedRange<Int>) -> String {
            let count = words.lowerBound + Int(generator.next() % UInt64(words.count))
            return (0..<count).map { _ in word() }.joined(separator: " ")
        }
    }

    @Test(
        "3,000 memories: the same top-k, in the same order, with the same scores (within 1e-9) as plaintext BM25",
        arguments: [TextAnalysis.plain, .standard])
    func equivalence(analysis: TextAnalysis) async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let subject = try await acme.resolveSubject(externalID: "alice")
        let cube = try await acme.createCube(
            NewCube(owner: .subject(subject.id), name: "notes", defaultCategory: "conversation", analysis: analysis))
        var corpus = Corpus(seed: 42, words: 800)
        let analyzer = TextAnalyzer(analysis)
        var reference = PlaintextBM25()
        var ids: [MemoryID] = []
        for _ in 0..<6 {
            let texts = (0..<500).map { _ in corpus.text(words: 3...40) }
            let added = try await acme.addMemories(texts.map { NewMemory(content: .text($0)) }, to: cube.id)
            ids += added.map(\.id)
            for text in texts { reference.add(analyzer.terms(text)) }
        }
        var compared = 0
        for queryIndex in 0..<60 {
            let query = corpus.text(words: 1...5)
            let k = queryIndex % 3 == 0 ? 50 : 10
            let expected = reference.search(analyzer.terms(query), k: k)
            let results = try await acme.search(SearchQuery(query, in: .cubes([cube.id]), limit: k))
            try #require(results.hits.count == expected.count, "query '\(query)'")
            for (hit, want) in zip(results.hits, expected) {
                #expect(hit.memory.id == ids[want.document], "query '\(query)': order differs")
                #expect(abs(hit.score - want.score) <= 1e-9, "query '\(query)': \(hit.score) vs \(want.score)")
                #expect(hit.matched == [.lexical])
            }
            compared += expected.count
        }
        #expect(compared > 500, "the queries must actually match: \(compared) results compared")
    }
}

/// Deterministic SplitMix64, so a failing corpus can be rebuilt.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
