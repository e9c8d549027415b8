/// A row-major matrix of `Float`: row `r`, column `c` is `values[r * columns + c]`.
struct Matrix: Sendable {
    let rows: Int
    let columns: Int
    var values: [Float]

    /// A matrix of zeros.
    init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "a matrix has no negative dimension")
        self.rows = rows
        self.columns = columns
        self.values = [Float](repeating: 0, count: rows * columns)
    }

    init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A block of this matrix: the rows and columns given, every row `columns` values after the previous.
    func block(rows: Range<Int>? = nil, columns: Range<Int>? = nil) -> MatrixBlock {
        let rows = rows ?? 0..<self.rows
        let columns = columns ?? 0..<self.columns
        precondition(
            rows.lowerBound >= 0 && rows.upperBound <= self.rows && columns.lowerBound >= 0
                && columns.upperBound <= self.columns,
            "block \(rows)×\(columns) outside a \(self.rows)×\(self.columns) matrix")
        return MatrixBlock(
            offset: rows.lowerBound * self.columns + columns.lowerBound, rows: rows.count, columns: columns.count,
            stride: self.columns)
    }

    /// Rows as columns.
    func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for row in 0..<rows {
            for column in 0..<columns { result.values[column * rows + row] = values[row * columns + column] }
        }
        return result
    }

    /// Adds `vector` to every row (a layer's bias).
    mutating func addToEveryRow(_ vector: [Float]) {
        precondition(vector.count == columns, "a bias of \(vector.count) for \(columns) columns")
        for row in 0..<rows {
            let start = row * columns
            for column in 0..<columns { values[start + column] += vector[column] }
        }
    }
}

/// Where a block lies in a row-major matrix's values: what BLAS calls an offset, a shape and a leading dimension.
struct MatrixBlock: Equatable {
    let offset: Int
    let rows: Int
    let columns: Int
    /// Values from one row of the block to the next.
    let stride: Int
}
