import ArgumentParser
import Foundation
import MemVault

enum FusionKind: String, ExpressibleByArgument, CaseIterable {
    case linear, rrf
}

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract:
            "Find memories by their words and meaning, best first, within one subject's cubes or a list of cubes.",
        discussion: """
            Words are ranked by BM25 over the cube's blind index: the query is analysed like the memories (folding, \
            stemming and stop words as each cube was created with) and turned into keyed hashes, so the index \
            never holds a word. Cubes created with --embedder are also searched by meaning: the query is embedded \
            by the local model, in this process, and the search is hybrid unless --mode says otherwise (without \
            the model's files it searches by words and says how to fetch them). Only what the policy allows for \
            the declared purpose is returned; the audit entry lists the ids returned, never the query.
            """)

    @OptionGroup var options: TenantDataOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "Search every cube of this subject (sub_…).") var subject: String?
    @Option(name: .customLong("cube"), help: "Search this cube (cube_…; repeatable).") var cubes: [String] = []
    @Option(help: "What to look for, in words.") var query: String = ""
    @Option(
        help: ArgumentHelp(
            "A file holding the query's embedding as a JSON array of numbers (- for standard input).",
            valueName: "file"))
    var vector: String?
    @Option(
        help: """
            lexical, vector or hybrid (default: hybrid when the scope has cubes embedded by a local model, or with \
            both --query and --vector; vector with --vector alone; else lexical).
            """)
    var mode: SearchMode?
    @Option(help: "How hybrid search fuses its rankings: linear (min-max, weighted) or rrf (reciprocal rank).")
    var fusion: FusionKind = .linear
    @Option(
        name: .customLong("vector-weight"),
        help: "The vector ranking's weight in linear fusion, 0 to 1 (default 0.4, tuned on LoCoMo's dev file).")
    var vectorWeight: Double?
    @Option(help: "How many results.") var k = 10
    @Option(name: .customLong("type"), help: "Only memories of this type (repeatable).") var types: [MemoryType] = []
    @Option(name: .customLong("category"), help: "Only memories of this category (repeatable).")
    var categories: [String] = []
    @Option(name: .customLong("tag"), help: "Only memories carrying this tag (repeatable: all must be carried).")
    var tags: [String] = []
    @Option(name: .customLong("status"), help: "Statuses to include (repeatable; default: active).")
    var statuses: [MemoryStatus] = []
    @Option(name: .customLong("occurred-from"), help: "Only memories that happened at or after this time (ISO 8601).")
    var occurredFrom: String?
    @Option(name: .customLong("occurred-until"), help: "Only memories that happened at or before this time (ISO 8601).")
    var occurredUntil: String?
    @Option(name: .customLong("valid-at"), help: "Only memories valid at this time (ISO 8601).") var validAt: String?

    func validate() throws {
        guard (subject != nil) != !cubes.isEmpty else {
            throw ValidationError("give exactly one scope: --subject sub_… or one or more --cube cube_…")
        }
        guard !query.isEmpty || vector != nil else { throw ValidationError("give --query, --vector or both") }
    }

    func run() async throws {
        try await options.run {
            let scope: SearchQuery.Scope =
                if let subject { .subject(try SubjectID(subject)) } else { .cubes(try cubes.map { try CubeID($0) }) }
            func time(_ value: String?, _ option: String) throws -> StoredTime? {
                try value.map { StoredTime(now: try Timestamps.parse($0, option: option)) }
            }
            let filter = SearchFilter(
                statuses: Set(statuses.isEmpty ? [.active] : statuses), types: types.isEmpty ? nil : Set(types),
                categories: categories.isEmpty ? nil : Set(categories),
                occurredFrom: try time(occurredFrom, "--occurred-from"),
                occurredUntil: try time(occurredUntil, "--occurred-until"), validAt: try time(validAt, "--valid-at"))
            let search = SearchQuery(
                query, in: scope, limit: k, tags: tags, filter: filter,
                vector: try vector.map { try VectorFile.read($0, option: "--vector") }, mode: mode,
                fusion: fusion == .rrf
                    ? .reciprocalRank : vectorWeight.map { .linear(vectorWeight: $0) } ?? .defaultHybrid)
            return try await options.withOperations(tenant) { store in
                do {
                    return try await store.search(search, embedder: model.embedder)
                } catch let error as MemVaultError where error.code == .embedderUnavailable && mode == nil {
                    // Nobody asked for vectors: words alone still find what they can.
                    FileHandle.standardError.write(Data("note: searched by words only: \(error.message)\n".utf8))
                    var lexical = search
                    lexical.mode = .lexical
                    return try await store.search(lexical, embedder: nil)
                }
            }
        } text: { results in
            var lines = results.hits.enumerated().map { rank, hit in
                String(format: "%2d. %.4g  ", rank + 1, hit.score)
                    + MemoryText.render(hit.memory)
                    .replacingOccurrences(of: "\n", with: "\n    ")
            }
            if lines.isEmpty { lines.append("no matches") }
            lines.insert("\(results.mode.rawValue) search", at: 0)
            lines += results.withheld.map {
                "withheld \($0.count) by \($0.ruleIDs.joined(separator: ", ")): \($0.reason)"
            }
            if results.awaitingEmbedding > 0 {
                lines.append(
                    "\(results.awaitingEmbedding) memories are not embedded yet (vector search cannot see them; "
                        + "`memvault index run` embeds them)")
            }
            if !results.deniedCubes.isEmpty {
                lines.append("not searched (policy): " + results.deniedCubes.map(\.rawValue).joined(separator: ", "))
            }
            return lines.joined(separator: "\n")
        }
    }
}
