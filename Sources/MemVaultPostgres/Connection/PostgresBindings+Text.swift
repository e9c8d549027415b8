import PostgresNIO

extension PostgresBindings {
    /// Text parameters `$1`, `$2`, … in order, for statements whose SQL names tables (and so cannot be interpolated).
    init(text values: String...) {
        self.init()
        for value in values { append(value) }
    }
}
