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

    struct Result: Encodable {
        let imported: [ImportedCube]
        let skipped: [String]
    }

    func run() async throws {
        try await options.run {
            try await options.withTenant(tenant, defaultRole: .administrator) { store in
                switch from {
                case .memvault:
                    let bytes = try PrivateFile.read(path, maximumBytes: StoreLimits().maximumBundleBytes)
                    let imported = try await store.importBundle(
                        bytes,
                        trustedSenders: trustedSenders.isEmpty ? nil : Set(trustedSenders.map { $0.lowercased() }))
                    return Result(imported: [imported], skipped: [])
                case .memos:
                    let reading = try MemOSDump.read(
                        folder: URL(filePath: path), category: category, subject: externalID,
                        maximumBytes: StoreLimits().maximumBundleBytes)
                    let imported = try await store.importCubes(
                        reading.cubes.map { ($0, try PortableCube.contentHash($0)) },
                        as: Transfer(.inbound, format: "memos-dump", platform: "memos"))
                    return Result(imported: imported, skipped: reading.skipped)
                case .mem0:
                    let cubes = try Mem0Export.read(
                        memories: URL(filePath: path), history: history.map { URL(filePath: $0) }, category: category,
                        subject: externalID, maximumBytes: StoreLimits().maximumBundleBytes)
                    let imported = try await store.importCubes(
                        cubes.map { ($0, try PortableCube.contentHash($0)) },
                        as: Transfer(.inbound, format: "mem0-json", platform: "mem0"))
                    return Result(imported: imported, skipped: [])
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
