/// Turns text into embeddings, outside the store: the store only seals, keeps and compares vectors. Callers may
/// supply vectors themselves (`NewMemory.embedding`, `SearchQuery.vector`); a local model implements this protocol
/// so that no memory content leaves the process to be embedded.
public protocol Embedder: Sendable {
    /// The length of every vector it returns.
    var dimension: Int { get }
    /// One embedding per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}
