import ArgumentParser
import Foundation
import MemVault
import MemVaultInterop
import MemVaultPolicy

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import cubes: a MemVault bundle, a MemOS cube dump or a mem0 export.",
        discussion: """
            --from memvault reads a bundle sealed to this tenant (see `memvault keys recipient`): its signature, \
            recipient and content are checked before anything is stored, and --trusted-sender limits the signers \
            accepted. --from memos reads a MemOS cube dump folder (config.json and textual_memory.json, general_text \
            or tree_text; pickles are never loaded). --from mem0 reads the JSON of mem0's get_all, with --history \
            the history of its memories (a list of entries, or entries per memory id): one cube per user_id. \
            All cubes of a file are imported in one unit of work, \
            decided as a migration into the tenant (default role: administrator), each recorded with its content's \
            SHA-256: every memory of every cube is stored, or none. The owning subject is found by the cube's user id, or created.
            """)

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case memvault, memos, mem0
    }

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "Where the file comes from: memvault, memos or mem0.") var from: Source
    @Option(
        name: .customLong("trusted-sender"),
        help: "A sender's Ed25519 key (hex) to accept; repeat for several (memvault bundles).")
    var trustedSenders: [String] = []
    @Option(help: "The category the imported memories get (memos, mem0).") var category = "general"
    @Option(help: "mem0's history of the memories, as JSON (mem0).") var history: String?
    @Option(
        name: .customLong("external-id"),
        help: "The subject for memories whose file names no user (memos, mem0).")
    var externalID: String?
    @Argument(help: "The bundle file, or the dump folder.") var path: String

    func run() async throws {
        try await options.run {
            // The files are read here, bounded, as plain JSON; the store (or the server) reads the documents.
            let maximumBytes = StoreLimits().maximumBundleBytes
            return try await options.withOperations(tenant, defaultRole: .administrator) { store in
                switch from {
                case .memvault:
                    let bytes = try PrivateFile.read(path, maximumBytes: maximumBytes)
                    let imported = try await store.importBundle(
                        bytes,
                        trustedSenders: trustedSenders.isEmpty ? nil : Set(trustedSenders.map { $0.lowercased() }))
                    return ForeignImport(imported: [imported], skipped: [])
                case .memos:
                    let documents = try InteropError.refusing(.imported) {
                        try MemOSDump.documents(in: URL(filePath: path), maximumBytes: maximumBytes)
                    }
                    let result = try await store.importMemOSDump(
                        config: documents.config, textual: documents.textual, category: category,
                        subject: externalID)
                    return ForeignImport(imported: result.imported, skipped: result.skipped + documents.skipped)
                case .mem0:
                    let documents = try InteropError.refusing(.imported) {
                        try Mem0Export.documents(
                            memories: URL(filePath: path), history: history.map { URL(filePath: $0) },
                            maximumBytes: maximumBytes)
                    }
                    return try await store.importMem0Export(
                        memories: documents.memories, history: documents.history, category: category,
                        subject: externalID)
                }
            }
        } text: { result in
            var lines = result.imported.map {
                "Imported cube \($0.cube.id): \($0.memories) memories, \($0.versions) versions, \($0.embeddings) "
                    + "embeddings" + ($0.createdSubject ? " (new subject \($0.subject?.rawValue ?? ""))" : "")
            }
            lines += result.skipped.map { "Skipped \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}
