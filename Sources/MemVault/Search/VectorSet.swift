import Dispatch
import Foundation
import Synchronization

/// A cube's embeddings, opened and normalised to unit length, laid out for exact cosine scoring with SIMD: each row
/// is `chunks` 16-lane vectors (the dimension padded with zeros), so a score is a run of fused multiply-adds.
package struct VectorSet: Sendable {
    let generation: Int64
    let dimension: Int
    let memories: [MemoryID]
    private let rows: [SIMD16<Float>]
    private let chunks: Int

    package init(generation: Int64, dimension: Int, vectors: [(MemoryID, [Float])]) {
        self.generation = generation
        self.dimension = dimension
        chunks = (dimension + 15) / 16
        memories = vectors.map(\.0)
        var rows: [SIMD16<Float>] = []
        rows.reserveCapacity(vectors.count * chunks)
        for (_, vector) in vectors { rows += Self.chunked(Self.normalised(vector), chunks: chunks) }
        self.rows = rows
    }

    var count: Int { memories.count }

    /// Cosine similarity of every vector with `query`, best first, at most `limit`; ties go to the lower index
    /// (the lower memory id). Scores every vector, keeping only the best `limit` as it goes.
    package func nearest(_ query: [Float], limit: Int) -> [(memory: MemoryID, score: Double)] {
        guard limit > 0, count > 0 else { return [] }
        let query = Self.chunked(Self.normalised(query), chunks: chunks)
        let capacity = min(limit, count)
        // Large sets are scanned in stripes, one per core; each keeps its own best, merged at the end.
        let stripes = count >= Self.parallelThreshold ? Self.processors : 1
        let stripeLength = (count + stripes - 1) / stripes
        let results = Mutex([[(index: Int, score: Float)]](repeating: [], count: stripes))
        DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
            var best = TopScores(capacity: capacity)
            for index in (stripe * stripeLength)..<min(count, (stripe + 1) * stripeLength) {
                best.offer(index, score(index, query))
            }
            results.withLock { $0[stripe] = best.sorted }
        }
        let merged = results.withLock { $0.flatMap { $0 } }
            .sorted { ($0.score, $1.index) > ($1.score, $0.index) }
            .prefix(capacity)
        return merged.map { (memories[$0.index], Double($0.score)) }
    }

    /// Below this many vectors one core scans them all: handing out stripes costs more than it saves.
    static let parallelThreshold = 16_384
    private static let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The dot product of row `index` with the (unit) query: its cosine similarity.
    private func score(_ index: Int, _ query: [SIMD16<Float>]) -> Float {
        // Two accumulators, so consecutive multiply-adds do not wait on each other.
        var even = SIMD16<Float>()
        var odd = SIMD16<Float>()
        let base = index * chunks
        var chunk = 0
        while chunk + 1 < chunks {
            even += rows[base + chunk] * query[chunk]
            odd += rows[base + chunk + 1] * query[chunk + 1]
            chunk += 2
        }
        if chunk < chunks { even += rows[base + chunk] * query[chunk] }
        return (even + odd).sum()
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        // In Double: a Float sum of squares overflows for components past about 1e19, and would zero the vector.
        let norm = vector.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return norm > 0 ? vector.map { Float(Double($0) / norm) } : vector
    }

    private static func chunked(_ vector: [Float], chunks: Int) -> [SIMD16<Float>] {
        (0..<chunks).map { chunk in
            var lanes = SIMD16<Float>()
            for lane in 0..<16 where chunk * 16 + lane < vector.count { lanes[lane] = vector[chunk * 16 + lane] }
            return lanes
        }
    }
}

/// The best scores seen so far, at most `capacity`, kept sorted best first (small: a search's limit).
private struct TopScores {
    let capacity: Int
    private(set) var sorted: [(index: Int, score: Float)] = []

    init(capacity: Int) {
        self.capacity = capacity
        sorted.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ index: Int, _ score: Float) {
        // Indexes arrive in increasing order, so an equal score never displaces an earlier one.
        if sorted.count == capacity, let last = sorted.last, score <= last.score { return }
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle].score >= score { low = middle + 1 } else { high = middle }
        }
        sorted.insert((index, score), at: low)
        if sorted.count > capacity { sorted.removeLast() }
    }
}

/// Embeddings as bytes inside their envelope: IEEE 754 single precision, little-endian.
enum VectorCodec {
    static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            bytes += [
                UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24),
            ]
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(
                bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                    | UInt32(bytes[offset + 3]) << 24)
        }
    }
}
