import Foundation
public import MCP
import MemVault
import MemVaultPolicy

extension MemoryTools {
    /// Carries out one tool call for the session's subject. Refusals and bad arguments come back as tool errors
    /// (`isError`) that say why, by the library's own messages: rule ids, consent, never another subject's data.
    public static func call(_ parameters: CallTool.Parameters, in session: MemorySession) async -> CallTool.Result {
        await call(parameters, in: session, progress: .none)
    }

    static func call(
        _ parameters: CallTool.Parameters, in session: MemorySession, progress: Progress
    ) async -> CallTool.Result {
        do {
            let arguments = parameters.arguments
            switch parameters.name {
            case remember.name:
                return try answer(
                    try await session.remember(ToolArguments.decode(RememberArguments.self, from: arguments)))
            case recall.name:
                return try answer(
                    try await session.recall(ToolArguments.decode(RecallArguments.self, from: arguments), progress))
            case get.name:
                return try answer(try await session.get(ToolArguments.decode(MemoryArguments.self, from: arguments)))
            case list.name:
                return try answer(try await session.list(ToolArguments.decode(ListArguments.self, from: arguments)))
            case update.name:
                return try answer(try await session.update(ToolArguments.decode(UpdateArguments.self, from: arguments)))
            case forget.name:
                return try answer(try await session.forget(ToolArguments.decode(MemoryArguments.self, from: arguments)))
            case consentStatus.name:
                return try answer(try await session.consentStatus())
            default:
                throw MemVaultError(
                    .invalidArgument,
                    "no tool '\(parameters.name.prefix(64))'; the tools are "
                        + all.map(\.name).joined(separator: ", "))
            }
        } catch let error as MemVaultError {
            return CallTool.Result(
                content: [.text(text: "\(error.code.name): \(error.message)", annotations: nil, _meta: nil)],
                isError: true)
        } catch {
            // Only MemVault's own errors carry messages written for callers.
            return CallTool.Result(
                content: [.text(text: "internal_error: the call could not be completed", annotations: nil, _meta: nil)],
                isError: true)
        }
    }

    /// The result as JSON text, what a model reads, in the shapes the HTTP API and the command line's `--json` use.
    /// (No `structuredContent`: the tools declare no output schema, and it would send every result twice.)
    static func answer(_ value: some Encodable) throws -> CallTool.Result {
        let data = try encoder.encode(value)
        return CallTool.Result(
            content: [.text(text: String(decoding: data, as: UTF8.self), annotations: nil, _meta: nil)])
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Milliseconds.format(date))
        }
        return encoder
    }()
}

/// The user's consent per purpose, as `consent_status` answers it: the latest state of each.
struct ConsentStatus: Encodable {
    struct Purpose: Encodable {
        let purpose: String
        let state: ConsentState
        let changedAt: Date
    }

    let purposes: [Purpose]
}

/// What `forget` answers.
struct Forgotten: Encodable {
    let forgotten: MemoryID
}

extension MemorySession {
    func remember(_ arguments: RememberArguments) async throws -> Memory {
        let cube = try await cube(named: arguments.cube)
        let memory = NewMemory(
            content: .text(arguments.content), type: arguments.type ?? .longTerm, category: arguments.category,
            tags: arguments.tags ?? [], source: .conversation, sourceDetail: nil, occurredAt: arguments.occurredAt)
        return try await access.addMemories([memory], to: cube)[0]
    }

    /// Reports its steps: embedding the query (the local model loads on first use, which takes a while), then
    /// searching.
    func recall(_ arguments: RecallArguments, _ progress: Progress) async throws -> SearchResults {
        await progress.report(0, of: 1, embedder == nil ? "searching" : "embedding the query and searching")
        let filter = SearchFilter(
            types: arguments.types.map(Set.init), categories: arguments.categories.map(Set.init),
            occurredFrom: arguments.occurredFrom.map(StoredTime.init(now:)),
            occurredUntil: arguments.occurredUntil.map(StoredTime.init(now:)))
        let results = try await access.search(
            SearchQuery(
                arguments.query, in: .subject(subject), limit: arguments.limit ?? 10, tags: arguments.tags ?? [],
                filter: filter),
            embedder: embedder)
        await progress.report(1, of: 1, "found \(results.hits.count)")
        return results
    }

    func get(_ arguments: MemoryArguments) async throws -> Memory {
        try subjects(try await access.memory(arguments.id, version: arguments.version))
    }

    func list(_ arguments: ListArguments) async throws -> Page<Memory> {
        try await access.memories(
            in: .subject(subject), statuses: arguments.includeArchived == true ? [.active, .archived] : [.active],
            after: arguments.cursor, limit: arguments.limit ?? 20)
    }

    func update(_ arguments: UpdateArguments) async throws -> Memory {
        try await requireSubjects(arguments.id)
        return try await access.updateMemory(
            arguments.id,
            MemoryChanges(
                content: arguments.content.map(MemoryContent.text), type: arguments.type, category: arguments.category,
                tags: arguments.tags, occurredAt: arguments.occurredAt))
    }

    func forget(_ arguments: MemoryArguments) async throws -> Forgotten {
        try await requireSubjects(arguments.id)
        try await access.deleteMemory(arguments.id)
        return Forgotten(forgotten: arguments.id)
    }

    func consentStatus() async throws -> ConsentStatus {
        var latest: [String: ConsentRecord] = [:]
        for record in try await access.consentHistory(of: subject)
        where record.changedAt >= (latest[record.purpose]?.changedAt ?? .distantPast) {
            latest[record.purpose] = record
        }
        return ConsentStatus(
            purposes: latest.values.sorted { $0.purpose < $1.purpose }.map {
                ConsentStatus.Purpose(purpose: $0.purpose, state: $0.state, changedAt: $0.changedAt)
            })
    }

    /// Before a change: the memory must be the session's subject's. A confined store refuses another's itself;
    /// otherwise (a server's client) it is read first, which the audit log then shows as a read.
    private func requireSubjects(_ id: MemoryID) async throws {
        guard access.confinement != subject else { return }
        _ = try subjects(try await access.memory(id, version: nil))
    }

    /// The memory if it is the session's subject's; another subject's answers exactly as an unknown id.
    private func subjects(_ memory: Memory) throws -> Memory {
        guard memory.subject == subject else { throw MemVaultError(.notFound, "no memory \(memory.id)") }
        return memory
    }
}
