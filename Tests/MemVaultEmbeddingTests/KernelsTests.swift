import Foundation
import Testing

@testable import MemVaultEmbedding

@Suite("Encoder kernels and batching")
struct KernelsTests {
    @Test("the rational erf stays within 5e-7 of libm's over [-6, 6], and is ±1 beyond")
    func erfMatchesLibm() {
        var worst: Float = 0
        for step in -60_000...60_000 {
            let x = Float(step) / 10_000
            worst = max(worst, abs(Kernels.erf(x) - Foundation.erf(x)))
        }
        #expect(worst <= 5e-7, "worst difference \(worst)")
        #expect(Kernels.erf(40) == 1 && Kernels.erf(-40) == -1)
        #expect(Kernels.erf(0) == 0)
    }

    @Test(
        "batches hold every position once, shortest first, within the token budget unless a sequence alone exceeds it")
    func batches() {
        var generator = SystemRandomNumberGenerator()
        let lengths = (0..<500).map { _ in Int.random(in: 2...256, using: &generator) }
        let batches = MiniLMEmbedder.batches(lengths: lengths)
        #expect(batches.flatMap { $0 }.sorted() == Array(lengths.indices))
        let flattened = batches.flatMap { $0 }.map { lengths[$0] }
        #expect(flattened == flattened.sorted())
        for batch in batches where batch.count > 1 {
            #expect(batch.map { lengths[$0] }.reduce(0, +) <= MiniLMEmbedder.tokensPerBatch)
        }
        #expect(batches.count >= min(ProcessInfo.processInfo.activeProcessorCount, 2))
        #expect(MiniLMEmbedder.batches(lengths: []).isEmpty)
        #expect(MiniLMEmbedder.batches(lengths: [7]) == [[0]])
    }

    @Test("LayerNorm with bias and residual: each row centred, unit variance, then scaled and shifted")
    func layerNorm() {
        var matrix = Matrix(rows: 2, columns: 4, values: [1, 2, 3, 4, 10, 10, 10, 14])
        let residual = Matrix(rows: 2, columns: 4, values: [1, 1, 1, 1, 0, 0, 0, 0])
        let norm = MiniLMWeights.LayerNorm(scale: [2, 2, 2, 2], shift: [1, 1, 1, 1])
        Kernels.layerNorm(&matrix, bias: [0, 0, 0, 0], residual: residual, norm)
        // Row 1: 2 3 4 5 → mean 3.5, variance 1.25; row 2: 10 10 10 14 → mean 11, variance 3.
        let expected: [Float] = [
            Float(1 - 3 / 1.25.squareRoot()), Float(1 - 1 / 1.25.squareRoot()), Float(1 + 1 / 1.25.squareRoot()),
            Float(1 + 3 / 1.25.squareRoot()), Float(1 - 2 / 3.0.squareRoot()), Float(1 - 2 / 3.0.squareRoot()),
            Float(1 - 2 / 3.0.squareRoot()), Float(1 + 6 / 3.0.squareRoot()),
        ]
        #expect(zip(matrix.values, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(matrix.values)")
    }
}
