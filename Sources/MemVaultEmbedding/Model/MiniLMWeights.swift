/// all-MiniLM-L6-v2's weights, each checked for its name, type and shape when read. Dense layers' weights are kept
/// input × output, transposed once from PyTorch's output × input: BLAS packs a product's right-hand side row by
/// row, and reading it transposed made packing twice the cost of the arithmetic for a short query.
struct MiniLMWeights: Sendable {
    static let hidden = 384
    static let heads = 12
    static let intermediate = 1_536
    static let layerCount = 6
    static let vocabularySize = 30_522
    static let positions = 512

    struct LayerNorm: Sendable {
        let scale: [Float]
        let shift: [Float]
    }

    struct Layer: Sendable {
        /// Query, key and value side by side: 384 × 1,152, so one product computes all three.
        let queryKeyValue: Matrix
        let queryKeyValueBias: [Float]
        let attentionOutput: Matrix
        let attentionOutputBias: [Float]
        let attentionNorm: LayerNorm
        let intermediate: Matrix
        let intermediateBias: [Float]
        let output: Matrix
        let outputBias: [Float]
        let outputNorm: LayerNorm
    }

    let wordEmbeddings: Matrix
    let positionEmbeddings: Matrix
    /// Every input is segment 0: only the first row is used.
    let tokenTypeEmbedding: [Float]
    let embeddingNorm: LayerNorm
    let layers: [Layer]

    init(_ tensors: SafeTensors) throws {
        // Exports name the tensors with or without the `bert.` prefix.
        let prefix = tensors.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func vector(_ name: String, _ count: Int) throws -> [Float] {
            try tensors.floats(prefix + name, shape: [count])
        }
        func matrix(_ name: String, _ rows: Int, _ columns: Int) throws -> Matrix {
            Matrix(rows: rows, columns: columns, values: try tensors.floats(prefix + name, shape: [rows, columns]))
        }
        /// A dense layer's weight, stored output × input, as input × output.
        func dense(_ name: String, outputs: Int, inputs: Int) throws -> Matrix {
            try matrix(name, outputs, inputs).transposed()
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(scale: try vector(name + ".weight", Self.hidden), shift: try vector(name + ".bias", Self.hidden))
        }
        let hidden = Self.hidden
        wordEmbeddings = try matrix("embeddings.word_embeddings.weight", Self.vocabularySize, hidden)
        positionEmbeddings = try matrix("embeddings.position_embeddings.weight", Self.positions, hidden)
        tokenTypeEmbedding = Array(try matrix("embeddings.token_type_embeddings.weight", 2, hidden).values[0..<hidden])
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<Self.layerCount).map { index in
            let name = "encoder.layer.\(index)."
            let parts = ["query", "key", "value"]
            return Layer(
                queryKeyValue: Matrix(
                    rows: 3 * hidden, columns: hidden,
                    values: try parts.flatMap {
                        try matrix(name + "attention.self.\($0).weight", hidden, hidden).values
                    }
                ).transposed(),
                queryKeyValueBias: try parts.flatMap { try vector(name + "attention.self.\($0).bias", hidden) },
                attentionOutput: try dense(name + "attention.output.dense.weight", outputs: hidden, inputs: hidden),
                attentionOutputBias: try vector(name + "attention.output.dense.bias", hidden),
                attentionNorm: try norm(name + "attention.output.LayerNorm"),
                intermediate: try dense(name + "intermediate.dense.weight", outputs: Self.intermediate, inputs: hidden),
                intermediateBias: try vector(name + "intermediate.dense.bias", Self.intermediate),
                output: try dense(name + "output.dense.weight", outputs: hidden, inputs: Self.intermediate),
                outputBias: try vector(name + "output.dense.bias", hidden),
                outputNorm: try norm(name + "output.LayerNorm"))
        }
    }
}
