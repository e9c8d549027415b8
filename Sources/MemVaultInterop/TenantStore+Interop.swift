public import MemVault
import MemVaultPolicy

/// A cube written as a MemOS dump: the dump's two documents and what the export held back.
public struct MemOSExport: Sendable, Codable {
    public let config: JSONValue
    public let textualMemory: JSONValue
    /// SHA-256 of the exported cube's portable JSON (hex), as recorded in the audit entry.
    public let contentHash: String
    public let memories: Int
    public let versions: Int
    public let embeddings: Int
    public let withheld: [Withheld]

    public init(
        config: JSONValue, textualMemory: JSONValue, contentHash: String, memories: Int, versions: Int,
        embeddings: Int, withheld: [Withheld]
    ) {
        self.config = config
        self.textualMemory = textualMemory
        self.contentHash = contentHash
        self.memories = memories
        self.versions = versions
        self.embeddings = embeddings
        self.withheld = withheld
    }

    /// The dump's files, as MemOS writes them.
    public func files() throws -> [String: [UInt8]] {
        try MemOSDump.files(config: config, textual: textualMemory)
    }
}

/// What an import from another platform stored, and what it left out of the documents and why.
public struct ForeignImport: Sendable, Codable {
    public let imported: [ImportedCube]
    public let skipped: [String]

    public init(imported: [ImportedCube], skipped: [String]) {
        self.imported = imported
        self.skipped = skipped
    }
}

/// Other platforms' formats on a tenant: the same calls behind the command line and the HTTP API, so a document is
/// read, decided and recorded alike wherever it arrives.
extension TenantStore {
    /// Writes the cube as a MemOS dump, decided and recorded as a plaintext export to MemOS.
    public func exportMemOSDump(_ cube: CubeID) async throws -> MemOSExport {
        let export = try await exportCube(cube, as: Transfer(.outbound, format: "memos-dump", platform: "memos"))
        let documents = try InteropError.refusing(.exported) { try MemOSDump.documents(for: export.cube) }
        return MemOSExport(
            config: documents.config, textualMemory: documents.textual, contentHash: export.contentHash,
            memories: export.cube.memories.count, versions: export.cube.versionCount,
            embeddings: export.cube.embeddingCount, withheld: export.withheld)
    }

    /// Imports a MemOS dump's documents (one cube per MemOS user id) in one unit of work.
    public func importMemOSDump(
        config: JSONValue?, textual: JSONValue, category: String, subject: String?
    ) async throws -> ForeignImport {
        let reading = try InteropError.refusing(.imported) {
            try MemOSDump.read(config: config, textual: textual, category: category, subject: subject)
        }
        let imported = try await importCubes(
            reading.cubes.map { ($0, try PortableCube.contentHash($0)) },
            as: Transfer(.inbound, format: "memos-dump", platform: "memos"))
        return ForeignImport(imported: imported, skipped: reading.skipped)
    }

    /// Imports mem0's `get_all` answer, with its history, (one cube per mem0 user id) in one unit of work.
    public func importMem0Export(
        memories: JSONValue, history: JSONValue?, category: String, subject: String?
    ) async throws -> ForeignImport {
        let cubes = try InteropError.refusing(.imported) {
            try Mem0Export.read(memories: memories, history: history, category: category, subject: subject)
        }
        let imported = try await importCubes(
            cubes.map { ($0, try PortableCube.contentHash($0)) },
            as: Transfer(.inbound, format: "mem0-json", platform: "mem0"))
        return ForeignImport(imported: imported, skipped: [])
    }
}

extension InteropError {
    public enum Outcome: String, Sendable {
        case imported, exported
    }

    /// `body`, an `InteropError` it throws becoming the error a caller gets: a foreign document MemVault cannot
    /// read, or a cube it cannot be written as, is invalid input, with the reason, and nothing was stored or written.
    public static func refusing<T>(_ outcome: Outcome, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InteropError {
            throw MemVaultError(.invalidArgument, "\(error.description); nothing was \(outcome.rawValue)")
        }
    }
}
