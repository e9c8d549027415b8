import ArgumentParser
import Foundation
import MemVault
import MemVaultEmbedding

/// Where the local embedder's model is: commands that embed (search, index run) load it from there on first use.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The folder holding the local embedder's model, all-MiniLM-L6-v2/ (default: $MEMVAULT_MODELS, else "
                + "./Models; ./scripts/fetch-model fills it).", valueName: "dir"))
    var models: String?

    var folder: URL {
        var environment = ProcessInfo.processInfo.environment
        if let models { environment["MEMVAULT_MODELS"] = models }
        return MiniLMEmbedder.defaultFolder(environment: environment)
    }

    /// The embedder, loaded when it is first asked to embed.
    var embedder: LazyEmbedder { .miniLM(folder: folder) }
}

/// The models a cube can name, with their dimensions.
enum KnownEmbedders {
    static let dimensions = [MiniLMEmbedder.modelName: MiniLMEmbedder.vectorDimension]

    static func dimension(of name: String) throws -> Int {
        guard let dimension = dimensions[name] else {
            throw ValidationError(
                "unknown embedder '\(name)'; this MemVault embeds with: "
                    + dimensions.keys.sorted().joined(separator: ", "))
        }
        return dimension
    }
}
