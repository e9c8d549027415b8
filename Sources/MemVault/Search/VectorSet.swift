/// A cube's embeddings, opened and normalised to unit length, laid out for exact cosine scoring with SIMD: each row
/// is `chunks` 16-lane vectors (the dimension padded with zeros), so a score is a run of fused multiply-adds.
struct VectorSet: Sendable {
    let generation: Int64
    let dimension: Int
    let memories: [MemoryID]
    private let rows: [SIMD16<Float>]
    private let chunks: Int

    init(generation: Int64, dimension: Int, vectors: [(MemoryID, [Float])]) {
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

    /// Cosine similarity of every vector with `query`, best first, at most `limit`; ties go to the lower memory id.
    func nearest(_ query: [Float], limit: Int) -> [(memory: MemoryID, score: Double)] {
        let query = Self.chunked(Self.normalised(query), chunks: chunks)
        var scores: [(index: Int, score: Float)] = []
        scores.reserveCapacity(count)
        for index in 0..<count {
            var sum = SIMD16<Float>()
            let base = index * chunks
            for chunk in 0..<chunks { sum += rows[base + chunk] * query[chunk] }
            scores.append((index, sum.sum()))
        }
        let best = scores.sorted { ($0.score, $1.index) > ($1.score, $0.index) }.prefix(limit)
        return best.map { (memories[$0.index], Double($0.score)) }
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    private static func chunked(_ vector: [Float], chunks: Int) -> [SIMD16<Float>] {
        (0..<chunks).map { chunk in
            var lanes = SIMD16<Float>()
            for lane in 0..<16 where chunk * 16 + lane < vector.count { lanes[lane] = vector[chunk * 16 + lane] }
            return lanes
        }
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
