import Dispatch
import Foundation
import Synchronization

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
        var queryKeyValue = dense(x, layer.queryKeyValue)
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

        var attended = dense(context, layer.attentionOutput)
        Kernels.layerNorm(&attended, bias: layer.attentionOutputBias, residual: x, layer.attentionNorm)

        var intermediate = dense(attended, layer.intermediate)
        Kernels.gelu(&intermediate, bias: layer.intermediateBias)

        var output = dense(intermediate, layer.output)
        Kernels.layerNorm(&output, bias: layer.outputBias, residual: attended, layer.outputNorm)
        return output
    }

    /// `x · W` for a dense layer (W input × output). With few rows (a query) the product is bound by reading the
    /// weights, not by arithmetic, so each core multiplies by its own share of W's columns, put side by side after.
    private func dense(_ x: Matrix, _ weight: Matrix) -> Matrix {
        var result = Matrix(rows: x.rows, columns: weight.columns)
        let parts = x.rows < Self.rowsWorthOneCore ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        guard parts > 1 else {
            BLAS.multiply(x, by: weight, transposeB: false, into: &result)
            return result
        }
        let bounds = (0...parts).map { $0 * weight.columns / parts }
        let pieces = Mutex([Matrix?](repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let columns = bounds[part]..<bounds[part + 1]
            var piece = Matrix(rows: x.rows, columns: columns.count)
            BLAS.multiply(x, by: weight, weight.block(columns: columns), transposeB: false, into: &piece)
            pieces.withLock { $0[part] = piece }
        }
        for (part, piece) in pieces.withLock({ $0 }).enumerated() {
            guard let piece else { preconditionFailure("a part of a product was not computed") }
            for row in 0..<x.rows {
                for column in 0..<piece.columns {
                    result.values[row * result.columns + bounds[part] + column] =
                        piece.values[row * piece.columns + column]
                }
            }
        }
        return result
    }

    /// Below this many rows a product is split across cores (measured: a 12-token query's products are about twice
    /// as fast on two cores; a batch of 2,048 tokens gains nothing).
    private static let rowsWorthOneCore = 64

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
