import Foundation

/// The element-wise steps of the encoder, in place on row-major matrices. They cost a few percent of the matrix
/// products, so they stay plain loops.
enum Kernels {
    /// LayerNorm over each row (biased variance, eps 1e-12), then scale and shift. Sums in Double: a row of 384
    /// floats loses digits otherwise.
    static func layerNorm(_ matrix: inout Matrix, _ norm: MiniLMWeights.LayerNorm, epsilon: Double = 1e-12) {
        let columns = matrix.columns
        for row in 0..<matrix.rows {
            let start = row * columns
            var sum = 0.0
            for column in 0..<columns { sum += Double(matrix.values[start + column]) }
            let mean = sum / Double(columns)
            var squares = 0.0
            for column in 0..<columns {
                let centred = Double(matrix.values[start + column]) - mean
                squares += centred * centred
            }
            let scale = 1 / (squares / Double(columns) + epsilon).squareRoot()
            for column in 0..<columns {
                let normalized = Float((Double(matrix.values[start + column]) - mean) * scale)
                matrix.values[start + column] = normalized * norm.scale[column] + norm.shift[column]
            }
        }
    }

    /// GELU in its exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)).
    static func gelu(_ matrix: inout Matrix) {
        let inverseRootTwo = Float(1 / 2.0.squareRoot())
        for index in matrix.values.indices {
            let x = matrix.values[index]
            matrix.values[index] = 0.5 * x * (1 + erf(x * inverseRootTwo))
        }
    }

    /// Softmax of each row.
    static func softmaxRows(_ matrix: inout Matrix) {
        let columns = matrix.columns
        for row in 0..<matrix.rows {
            let start = row * columns
            var maximum = -Float.infinity
            for column in 0..<columns { maximum = max(maximum, matrix.values[start + column]) }
            var sum: Float = 0
            for column in 0..<columns {
                let value = exp(matrix.values[start + column] - maximum)
                matrix.values[start + column] = value
                sum += value
            }
            let inverse = 1 / sum
            for column in 0..<columns { matrix.values[start + column] *= inverse }
        }
    }
}
