/// Turns text into embeddings, outside the store: the store only seals, keeps and compares vectors. Callers may
/// supply vectors themselves (`NewMemory.embedding`, `SearchQuery.vector`); a local model implements this protocol
/// so that no memory content leaves the process to be embedded.
public protocol Embedder: Sendable {
    /// The model's name, as a cube records it (`NewCube.embedder`): vectors of different models never mix.
    var name: String { get }
    /// The length of every vector it returns.
    var dimension: Int { get }
    /// One embedding per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// The format of an embedder's name: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-' (a model name such
/// as `all-MiniLM-L6-v2`).
enum EmbedderName {
    static func validate(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        guard (1...64).contains(name.utf8.count), allowed else {
            throw MemVaultError(
                .invalidArgument, "invalid embedder name: use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'")
        }
    }
}
