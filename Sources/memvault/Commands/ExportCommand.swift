import ArgumentParser
import Foundation
import MemVault
import MemVaultInterop
import MemVaultPolicy

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a cube: a bundle sealed to another MemVault tenant, or a MemOS dump.",
        discussion: """
            --format bundle (the default) seals the cube, with every memory, version, field and embedding, to the \
            recipient key that `memvault keys recipient` shows on the receiving side (--to), signed with this \
            tenant's key; whoever carries the file never sees the content. It is decided as a migration \
            (default role: administrator). --format memos writes the MemOS dump layout (config.json and \
            textual_memory.json) into the folder --output names: plaintext, so it is decided as an export (default \
            role: data-protection-officer). Both need the tenant's policy to allow the format and destination \
            (its migration section) and are recorded in the tenant's audit log with the content's SHA-256. \
            --format subject writes everything held about one subject (--subject) as JSON: the subject's access \
            and portability export (GDPR Art. 15, 20) with its cubes, memories and versions, consent history, \
            restrictions, holds, erasure requests, the policy's processing information and a signed audit \
            checkpoint (default role: data-protection-officer). Memories the policy keeps back are left out and \
            counted. Nothing is overwritten.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case bundle, memos, subject
    }

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "The cube to export (cube_…), for a bundle or a MemOS dump.") var cube: String?
    @Option(help: "The subject to export (sub_…), for --format subject.") var subject: String?
    @Option(help: "bundle, memos or subject.") var format: Format = .bundle
    @Option(help: "The recipient tenant's X25519 key (hex), for a bundle.") var to: String?
    @Option(help: "The file (bundle) or folder (memos) to write; it must not exist.") var output: String

    struct Result: Encodable {
        let output: String
        let format: String
        let bytes: Int
        let memories: Int
        let versions: Int
        let embeddings: Int
        /// How many memories the policy kept back, and (where the transport carries them) why.
        let withheld: Int
        let withheldReasons: [Withheld]
        let contentHash: String
        let signer: String?
        let recipient: String?
    }

    func validate() throws {
        if format == .bundle, to == nil { throw ValidationError("--format bundle needs --to, the recipient's key") }
        if format != .bundle, to != nil { throw ValidationError("--to is for bundles; other formats are not sealed") }
        if format == .subject, subject == nil || cube != nil {
            throw ValidationError("--format subject exports one --subject, with all its cubes")
        }
        if format != .subject, cube == nil || subject != nil {
            throw ValidationError("give --cube, the cube to export")
        }
    }

    func run() async throws {
        try await options.run { () async throws -> Result in
            guard !FileManager.default.fileExists(atPath: output) else {
                throw ValidationError("\(output) exists; name a new file or folder")
            }
            let role: Role = format == .bundle ? .administrator : .dataProtectionOfficer
            return try await options.withOperations(tenant, defaultRole: role) { store -> Result in
                switch format {
                case .subject:
                    let export = try await store.exportSubject(SubjectID(subject ?? ""))
                    let bytes = Array(try PortableJSON.encoder(pretty: true).encode(export))
                    try PrivateFile.write(bytes, to: output)
                    let memories = export.cubes.flatMap(\.memories)
                    return Result(
                        output: output, format: "subject-export", bytes: bytes.count, memories: memories.count,
                        versions: memories.reduce(0) { $0 + $1.versions.count },
                        embeddings: memories.count { $0.embedding != nil }, withheld: Self.count(export.withheld),
                        withheldReasons: export.withheld, contentHash: export.contentHash, signer: nil, recipient: nil)
                case .bundle:
                    let bundle = try await store.exportBundle(try CubeID(cube ?? ""), to: to ?? "")
                    try PrivateFile.write(bundle.bytes, to: output)
                    let contents = bundle.manifest.contents
                    return Result(
                        output: output, format: "memvault-bundle", bytes: bundle.bytes.count,
                        memories: contents.memories, versions: contents.versions, embeddings: contents.embeddings,
                        withheld: contents.withheld, withheldReasons: bundle.withheld,
                        contentHash: bundle.manifest.contentHash, signer: bundle.manifest.signer,
                        recipient: bundle.manifest.recipient)
                case .memos:
                    let export = try await store.exportMemOSDump(try CubeID(cube ?? ""))
                    let files = try export.files()
                    try PrivateFile.writeFolder(files, to: output)
                    return Result(
                        output: output, format: "memos-dump", bytes: files.values.reduce(0) { $0 + $1.count },
                        memories: export.memories, versions: export.versions, embeddings: export.embeddings,
                        withheld: Self.count(export.withheld), withheldReasons: export.withheld,
                        contentHash: export.contentHash, signer: nil, recipient: nil)
                }
            }
        } text: { (result: Result) in
            var lines = [
                "Exported \(result.memories) memories (\(result.versions) versions, \(result.embeddings) embeddings) "
                    + "to \(result.output) (\(result.format), \(result.bytes) bytes, sha256 \(result.contentHash.prefix(16))…)."
            ]
            if let recipient = result.recipient {
                lines.append("Sealed to \(recipient.prefix(16))…; signed by \(result.signer ?? "")")
            }
            for withheld in result.withheldReasons {
                lines.append(
                    "Withheld by the policy: \(withheld.count) (\(withheld.ruleIDs.joined(separator: ", "))): \(withheld.reason)"
                )
            }
            if result.withheldReasons.isEmpty, result.withheld > 0 {
                lines.append("Withheld by the policy: \(result.withheld) (the tenant's audit log names the rules)")
            }
            return lines.joined(separator: "\n")
        }
    }

    private static func count(_ withheld: [Withheld]) -> Int { withheld.reduce(0) { $0 + $1.count } }
}
