import Foundation
import MemVault

@testable import MemVaultEmbedding

/// The model every test shares, loaded once: from `$MEMVAULT_MODELS`, else this package's `Models/` folder
/// (`./scripts/test` runs `./scripts/fetch-model` first).
enum ModelUnderTest {
    static let folder: URL = {
        if ProcessInfo.processInfo.environment["MEMVAULT_MODELS"] != nil { return MiniLMEmbedder.defaultFolder() }
        let packageRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appending(path: "Models").appending(path: MiniLMEmbedder.modelName)
    }()

    static let loaded = Result { try MiniLMEmbedder(folder: folder) }

    static func embedder() throws -> MiniLMEmbedder { try loaded.get() }
}

/// The reference file: 64 sentences with their token ids and embeddings from the numpy reference implementation.
struct Reference: Decodable {
    struct Sentence: Decodable {
        let text: String
        let nWordpiecesBeforeTruncation: Int
        let tokenIds: [Int32]
        let embedding: [Float]
    }

    struct Trace: Decodable {
        let text: String
        let tokenIds: [Int32]
        let embeddingsLayernorm: [String: [Float]]
        let layers: [[String: [Float]]]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            text = try container.decode(String.self, forKey: Key(stringValue: "text"))
            tokenIds = try container.decode([Int32].self, forKey: Key(stringValue: "tokenIds"))
            embeddingsLayernorm = try container.decode(
                [String: [Float]].self, forKey: Key(stringValue: "embeddingsLayernorm"))
            layers = try (0..<6).map {
                try container.decode([String: [Float]].self, forKey: Key(stringValue: "layer\($0)"))
            }
        }
    }

    let modelSafetensorsSha256: String
    let vocabTxtSha256: String
    let trace: Trace
    let sentences: [Sentence]

    static let shared: Reference = {
        let url = Bundle.module.url(forResource: "Fixtures/minilm-reference", withExtension: "json")!
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(Reference.self, from: Data(contentsOf: url))
    }()
}
