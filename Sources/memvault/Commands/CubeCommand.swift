import ArgumentParser
import MemVault

struct CubeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cube",
        abstract: "Manage MemCubes: containers of memories owned by a subject or shared by the tenant.",
        subcommands: [Create.self, List.self, Get.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a cube.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The cube's name (encrypted).") var name: String
        @Option(help: "The owning subject's MemVault id (sub_…); see `memvault subject resolve`.") var subject: String?
        @Flag(help: "A tenant-shared cube (e.g. product knowledge) instead of a personal one.") var shared = false
        @Option(help: "A short token such as conversation or knowledge.") var kind = "general"
        @Option(help: "The category of memories that name none.") var category = "general"
        @Option(help: "Provenance: where the cube comes from.") var origin: String?
        @Option(name: .customLong("created-by"), help: "Provenance: who created it.") var createdBy: String?
        @Option(name: .customLong("imported-from"), help: "Provenance: the platform it was imported from.")
        var importedFrom: String?
        @Flag(
            name: .customLong("no-stemming"),
            help: "Search matches words as written, without English suffix stripping (for text not in English).")
        var noStemming = false
        @Flag(name: .customLong("no-stop-words"), help: "Search indexes common English words (the, was, …) too.")
        var noStopWords = false
        @Flag(
            name: .customLong("no-search-index"),
            help: "Keep no search index for this cube (not even blind terms); it cannot be searched.")
        var noSearchIndex = false
        @Option(
            name: .customLong("embedding-dimension"),
            help: "Keep an embedding per memory, of this many dimensions (fixed for the cube), for vector search.")
        var embeddingDimension: Int?
        @Option(
            help: ArgumentHelp(
                "Embed its memories in the background with this local model (all-MiniLM-L6-v2); search is then "
                    + "hybrid by default. See `memvault index`.", valueName: "model"))
        var embedder: String?

        func validate() throws {
            guard (subject != nil) != shared else {
                throw ValidationError("give exactly one owner: --subject sub_… or --shared")
            }
            if let embedder {
                let dimension = try KnownEmbedders.dimension(of: embedder)
                if let embeddingDimension, embeddingDimension != dimension {
                    throw ValidationError(
                        "\(embedder) makes \(dimension)-dimensional embeddings; --embedding-dimension says "
                            + "\(embeddingDimension)")
                }
            }
        }

        func run() async throws {
            try await options.run {
                let owner: CubeOwner = try subject.map { .subject(try SubjectID($0)) } ?? .tenant
                return try await options.withOperations(tenant) { store in
                    try await store.createCube(
                        NewCube(
                            owner: owner, name: name, kind: kind, defaultCategory: category,
                            provenance: Provenance(origin: origin, createdBy: createdBy, importedFrom: importedFrom),
                            analysis: TextAnalysis(
                                stemming: !noStemming, stopWords: !noStopWords, indexed: !noSearchIndex),
                            embeddingDimension: try embedder.map(KnownEmbedders.dimension) ?? embeddingDimension,
                            embedder: embedder))
                }
            } text: {
                CubeText.render($0)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cubes, all or by owner.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "Only this subject's cubes.") var subject: String?
        @Flag(help: "Only tenant-shared cubes.") var shared = false
        @Option(help: "Page size.") var limit = 100
        @Option(help: "The cursor printed by the previous page.") var after: String?

        func run() async throws {
            try await options.run {
                let owner: CubeOwner? = try subject.map { .subject(try SubjectID($0)) } ?? (shared ? .tenant : nil)
                return try await options.withOperations(tenant) { store in
                    try await store.cubes(owner: owner, after: after, limit: limit)
                }
            } text: { page in
                var lines = page.items.map {
                    "\($0.id)  \($0.subject.map(\.rawValue) ?? "shared")  \($0.kind)  \($0.name)"
                }
                if lines.isEmpty { lines.append("No cubes.") }
                if let cursor = page.nextCursor { lines.append("more: --after \(cursor)") }
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a cube's metadata.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The cube id (cube_…).") var cube: String

        func run() async throws {
            try await options.run {
                let id = try CubeID(cube)
                return try await options.withOperations(tenant) { try await $0.cube(id) }
            } text: {
                CubeText.render($0)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a cube with all its memories.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The cube id (cube_…).") var cube: String

        struct Result: Encodable {
            let deleted: CubeID
        }

        func run() async throws {
            try await options.run {
                let id = try CubeID(cube)
                try await options.withOperations(tenant) { try await $0.deleteCube(id) }
                return Result(deleted: id)
            } text: {
                "Deleted cube \($0.deleted) and its memories."
            }
        }
    }
}

enum CubeText {
    static func render(_ cube: MemCube) -> String {
        var lines = [
            "\(cube.id)  \(cube.name)",
            "  owner: \(cube.subject.map(\.rawValue) ?? "tenant (shared)")  kind: \(cube.kind)  "
                + "default category: \(cube.defaultCategory)  schema: \(cube.schemaVersion)",
        ]
        let provenance = [
            cube.provenance.origin.map { "origin \($0)" }, cube.provenance.createdBy.map { "created by \($0)" },
            cube.provenance.importedFrom.map { "imported from \($0)" },
        ].compactMap { $0 }
        if !provenance.isEmpty { lines.append("  provenance: " + provenance.joined(separator: ", ")) }
        if let embedder = cube.embedder {
            lines.append("  embedded with \(embedder) (\(cube.embeddingDimension ?? 0) dimensions)")
        } else if let dimension = cube.embeddingDimension {
            lines.append("  embeddings supplied by the caller (\(dimension) dimensions)")
        }
        lines.append("  created \(Timestamps.format(cube.createdAt))  updated \(Timestamps.format(cube.updatedAt))")
        return lines.joined(separator: "\n")
    }
}
