public import Foundation
public import MemVault
import Synchronization

/// An embedder whose model is loaded the first time it is needed: a search over cubes that name no model, or a
/// process that never embeds, does not pay for reading and verifying 91 MB. A load that fails is tried again on
/// the next call (the files may have been fetched meanwhile).
public final class LazyEmbedder: Embedder {
    public let name: String
    public let dimension: Int
    private let load: @Sendable () throws -> any Embedder
    private let loaded = Mutex<(any Embedder)?>(nil)

    public init(name: String, dimension: Int, load: @escaping @Sendable () throws -> any Embedder) {
        self.name = name
        self.dimension = dimension
        self.load = load
    }

    /// all-MiniLM-L6-v2 from `folder`, loaded on first use.
    public static func miniLM(folder: URL = MiniLMEmbedder.defaultFolder()) -> LazyEmbedder {
        LazyEmbedder(name: MiniLMEmbedder.modelName, dimension: MiniLMEmbedder.vectorDimension) {
            try MiniLMEmbedder(folder: folder)
        }
    }

    /// The model, loading it if this is the first use.
    public func model() throws -> any Embedder {
        try loaded.withLock { loaded in
            if let loaded { return loaded }
            let model = try load()
            guard model.name == name, model.dimension == dimension else {
                throw MemVaultError(
                    .embedderUnavailable, "the model loaded as \(name) is \(model.name) (\(model.dimension))")
            }
            loaded = model
            return model
        }
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await model().embed(texts)
    }
}
