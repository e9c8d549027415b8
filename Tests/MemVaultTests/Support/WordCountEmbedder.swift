import Foundation
import MemVault
import Synchronization

/// A deterministic stand-in for a model, for tests of the store's embedding pipeline: each text becomes the counts
/// of a few words, normalised. It remembers every text it was asked to embed.
final class WordCountEmbedder: Embedder {
    let name: String
    static let words = ["tea", "coffee", "lisbon", "porto", "cat", "dog", "music", "book"]
    var dimension: Int { Self.words.count }
    private let seen = Mutex<[String]>([])

    init(name: String = "word-count") {
        self.name = name
    }

    var texts: [String] { seen.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        seen.withLock { $0 += texts }
        return texts.map(Self.vector)
    }

    static func vector(_ text: String) -> [Float] {
        let tokens = text.lowercased().split { !$0.isLetter }.map(String.init)
        var counts = words.map { word in Float(tokens.count { $0 == word }) }
        if counts.allSatisfy({ $0 == 0 }) { counts[counts.count - 1] = 0.01 }
        let norm = counts.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return counts.map { $0 / norm }
    }
}
