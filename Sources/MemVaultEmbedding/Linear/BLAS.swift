import COpenBLAS

/// Matrix products through OpenBLAS: the only code in the package that calls BLAS or hands it pointers. Every block
/// is checked against its matrix, and the shapes against each other, before BLAS sees a pointer.
enum BLAS {
    /// `c[cBlock] = alpha · a[aBlock] · op(b[bBlock]) + beta · c[cBlock]`, where `op` transposes when `transposeB`
    /// (a layer's weight kept as PyTorch stores it, output × input, multiplies as `x · Wᵀ`).
    static func multiply(
        _ a: Matrix, _ aBlock: MatrixBlock? = nil, by b: Matrix, _ bBlock: MatrixBlock? = nil, transposeB: Bool,
        into c: inout Matrix, _ cBlock: MatrixBlock? = nil, alpha: Float = 1, beta: Float = 0
    ) {
        let aBlock = aBlock ?? a.block()
        let bBlock = bBlock ?? b.block()
        let cBlock = cBlock ?? c.block()
        let (m, k) = (aBlock.rows, aBlock.columns)
        let (bRows, n) = transposeB ? (bBlock.columns, bBlock.rows) : (bBlock.rows, bBlock.columns)
        precondition(bRows == k && cBlock.rows == m && cBlock.columns == n, "matrix shapes do not chain")
        for (block, matrix) in [(aBlock, a), (bBlock, b), (cBlock, c)] {
            precondition(fits(block, in: matrix), "a block outside its matrix")
        }
        guard m > 0, n > 0 else { return }
        a.values.withUnsafeBufferPointer { a in
            b.values.withUnsafeBufferPointer { b in
                c.values.withUnsafeMutableBufferPointer { c in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                        Int32(k), alpha, a.baseAddress! + aBlock.offset, Int32(aBlock.stride),
                        b.baseAddress! + bBlock.offset, Int32(bBlock.stride), beta, c.baseAddress! + cBlock.offset,
                        Int32(cBlock.stride))
                }
            }
        }
    }

    /// How many threads OpenBLAS may use for one product. The embedder runs its batches in parallel itself, so it
    /// asks for one: threads within a product would only compete with the other batches.
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    private static func fits(_ block: MatrixBlock, in matrix: Matrix) -> Bool {
        guard block.rows > 0, block.columns > 0 else { return block.rows >= 0 && block.columns >= 0 }
        return block.offset >= 0 && block.stride >= block.columns
            && block.offset + (block.rows - 1) * block.stride + block.columns <= matrix.values.count
    }
}
