import Foundation

/// The element-wise steps of the encoder, in place on row-major matrices, each bias add fused into the pass that
/// follows it: the matrix products are most of the time, and every extra pass over a matrix shows.
enum Kernels {
    /// Adds `bias` (and `residual`, if given) to each row, then LayerNorm over the row (biased variance, eps
    /// 1e-12), scaled and shifted. Sums in Double: a row of 384 floats loses digits otherwise.
    static func layerNorm(
        _ matrix: inout Matrix, bias: [Float]? = nil, residual: Matrix? = nil, _ norm: MiniLMWeights.LayerNorm,
        epsilon: Double = 1e-12
    ) {
        let columns = matrix.columns
        precondition(bias.map { $0.count == columns } ?? true, "a bias of the wrong length")
        precondition(residual.map { $0.rows == matrix.rows && $0.columns == columns } ?? true, "a residual's shape")
        for row in 0..<matrix.rows {
            let start = row * columns
            var sum = 0.0
            for column in 0..<columns {
                var value = matrix.values[start + column]
                if let bias { value += bias[column] }
                if let residual { value += residual.values[start + column] }
                matrix.values[start + column] = value
                sum += Double(value)
            }
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

    /// Adds `bias` to each row, then GELU in its exact (erf) form: x · Φ(x) = x/2 · (1 + erf(x/√2)).
    static func gelu(_ matrix: inout Matrix, bias: [Float]) {
        let columns = matrix.columns
        precondition(bias.count == columns, "a bias of the wrong length")
        let inverseRootTwo = Float(1 / 2.0.squareRoot())
        for row in 0..<matrix.rows {
            let start = row * columns
            for column in 0..<columns {
                let x = matrix.values[start + column] + bias[column]
                matrix.values[start + column] = 0.5 * x * (1 + erf(x * inverseRootTwo))
            }
        }
    }

    /// erf for Float as a rational function on [-4, 4] (Eigen's, as TensorFlow and XLA use; beyond ±4 erf is ±1
    /// in single precision): within 5e-7 of libm's erff (a few units in the last place), several times faster, and
    /// it needs no call.
    static func erf(_ value: Float) -> Float {
        let x = min(max(value, -4), 4)
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return x * p / q
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
