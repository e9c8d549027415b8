/// all-MiniLM-L6-v2's forward pass: token, position and segment embeddings, six BERT encoder layers (12 heads of
/// 32, FFN 1,536, exact GELU, LayerNorm eps 1e-12), mean pooling and L2 normalisation.
///
/// The sequences of a batch are not padded: their tokens are stacked into one matrix for the dense layers (a token's
/// row does not depend on the others there), and attention runs per sequence over its own rows, so no work or mask
/// is spent on padding and a batch gives the same vectors as its sequences one by one.
struct MiniLMEncoder: Sendable {
    let weights: MiniLMWeights

    private static let hidden = MiniLMWeights.hidden
    private static let headSize = MiniLMWeights.hidden / MiniLMWeights.heads

    /// One unit vector per sequence of token ids (each `[CLS]` … `[SEP]`, at most 512 long, ids in the vocabulary).
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        let rows = rowRanges(sequences)
        var x = embeddings(sequences, rows: rows)
        for layer in weights.layers { x = encode(x, layer, sequences: rows) }
        return rows.map { pooled(x, rows: $0) }
    }

    /// The hidden state after the embeddings and after each layer, for one sequence: what the reference traces.
    func hiddenStates(_ sequence: [Int32]) -> [Matrix] {
        let rows = rowRanges([sequence])
        var states = [embeddings([sequence], rows: rows)]
        for layer in weights.layers { states.append(encode(states[states.count - 1], layer, sequences: rows)) }
        return states
    }

    /// Each sequence's rows in the stacked matrix.
    private func rowRanges(_ sequences: [[Int32]]) -> [Range<Int>] {
        var start = 0
        return sequences.map { sequence in
            precondition(
                !sequence.isEmpty && sequence.count <= MiniLMWeights.positions, "a sequence of \(sequence.count)")
            defer { start += sequence.count }
            return start..<(start + sequence.count)
        }
    }

    /// Token, position and segment embeddings, normalised.
    private func embeddings(_ sequences: [[Int32]], rows: [Range<Int>]) -> Matrix {
        let hidden = Self.hidden
        var x = Matrix(rows: rows.last?.upperBound ?? 0, columns: hidden)
        for (sequence, rows) in zip(sequences, rows) {
            for (position, id) in sequence.enumerated() {
                let token = Int(id)
                precondition(token >= 0 && token < weights.wordEmbeddings.rows, "token id \(id) outside the vocabulary")
                let row = (rows.lowerBound + position) * hidden
                for column in 0..<hidden {
                    x.values[row + column] =
                        weights.wordEmbeddings.values[token * hidden + column]
                        + weights.positionEmbeddings.values[position * hidden + column]
                        + weights.tokenTypeEmbedding[column]
                }
            }
        }
        Kernels.layerNorm(&x, weights.embeddingNorm)
        return x
    }

    private func encode(_ x: Matrix, _ layer: MiniLMWeights.Layer, sequences: [Range<Int>]) -> Matrix {
        let (hidden, headSize) = (Self.hidden, Self.headSize)
        var queryKeyValue = Matrix(rows: x.rows, columns: 3 * hidden)
        BLAS.multiply(x, by: layer.queryKeyValue, transposeB: true, into: &queryKeyValue)
        queryKeyValue.addToEveryRow(layer.queryKeyValueBias)

        var context = Matrix(rows: x.rows, columns: hidden)
        let scale = 1 / Float(headSize).squareRoot()
        for rows in sequences {
            var scores = Matrix(rows: rows.count, columns: rows.count)
            for head in 0..<MiniLMWeights.heads {
                let columns = (head * headSize)..<((head + 1) * headSize)
                let query = queryKeyValue.block(rows: rows, columns: columns)
                let key = queryKeyValue.block(rows: rows, columns: columns.shifted(by: hidden))
                let value = queryKeyValue.block(rows: rows, columns: columns.shifted(by: 2 * hidden))
                BLAS.multiply(
                    queryKeyValue, query, by: queryKeyValue, key, transposeB: true, into: &scores, alpha: scale)
                Kernels.softmaxRows(&scores)
                BLAS.multiply(
                    scores, by: queryKeyValue, value, transposeB: false, into: &context,
                    context.block(rows: rows, columns: columns))
            }
        }

        var attended = Matrix(rows: x.rows, columns: hidden)
        BLAS.multiply(context, by: layer.attentionOutput, transposeB: true, into: &attended)
        attended.addToEveryRow(layer.attentionOutputBias)
        attended.add(x)
        Kernels.layerNorm(&attended, layer.attentionNorm)

        var intermediate = Matrix(rows: x.rows, columns: MiniLMWeights.intermediate)
        BLAS.multiply(attended, by: layer.intermediate, transposeB: true, into: &intermediate)
        intermediate.addToEveryRow(layer.intermediateBias)
        Kernels.gelu(&intermediate)

        var output = Matrix(rows: x.rows, columns: hidden)
        BLAS.multiply(intermediate, by: layer.output, transposeB: true, into: &output)
        output.addToEveryRow(layer.outputBias)
        output.add(attended)
        Kernels.layerNorm(&output, layer.outputNorm)
        return output
    }

    /// The mean of a sequence's rows, scaled to unit length.
    private func pooled(_ x: Matrix, rows: Range<Int>) -> [Float] {
        let hidden = Self.hidden
        var sum = [Double](repeating: 0, count: hidden)
        for row in rows {
            for column in 0..<hidden { sum[column] += Double(x.values[row * hidden + column]) }
        }
        let mean = sum.map { $0 / Double(rows.count) }
        let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return mean.map { Float($0 / norm) }
    }
}

extension Range<Int> {
    fileprivate func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
