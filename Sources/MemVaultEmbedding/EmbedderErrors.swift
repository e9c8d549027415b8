public import MemVault

extension MemVault.MemVaultError.Code {
    /// The local embedder cannot run: its model files are missing, altered or malformed. The message says how to
    /// fetch them; lexical search works without them.
    public static let embedderUnavailable = MemVaultError.Code("embedder_unavailable")
}
