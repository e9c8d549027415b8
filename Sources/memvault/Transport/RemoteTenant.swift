import Foundation
import MemVault
import MemVaultPolicy

/// `TenantOperations` over the HTTP API (docs/openapi.yaml): the credential's tenant, as the server sees it.
struct RemoteTenant: TenantOperations {
    let client: APIClient

    /// The tenant of the client's credential, which must be `tenant`: over HTTP the credential decides it.
    static func connect(_ client: APIClient, tenant: String) async throws -> RemoteTenant {
        struct WhoAmI: Decodable { let tenant: String? }
        let me: WhoAmI = try await client.send("GET", "v1/whoami")
        guard me.tenant == tenant else {
            throw MemVaultError(
                .denied,
                "the credential in MEMVAULT_API_KEY is for "
                    + (me.tenant.map { "tenant '\($0)'" } ?? "the installation") + ", not tenant '\(tenant)'")
        }
        return RemoteTenant(client: client)
    }

    func resolveSubject(externalID: String, create: Bool) async throws -> Subject {
        try await client.send(
            "POST", "v1/subjects/resolve",
            body: ["externalId": .string(externalID), "create": .bool(create)] as [String: JSONValue])
    }

    func createCube(_ new: NewCube) async throws -> MemCube {
        var body: [String: JSONValue] = [
            "name": .string(new.name), "kind": .string(new.kind), "defaultCategory": .string(new.defaultCategory),
            "analysis": .object([
                "stemming": .bool(new.analysis.stemming), "stopWords": .bool(new.analysis.stopWords),
                "indexed": .bool(new.analysis.indexed),
            ]),
        ]
        if case .subject(let subject) = new.owner { body["subject"] = .string(subject.rawValue) }
        if let origin = new.provenance.origin { body["origin"] = .string(origin) }
        if let dimension = new.embeddingDimension { body["embeddingDimension"] = .integer(dimension) }
        if let embedder = new.embedder { body["embedder"] = .string(embedder) }
        return try await client.send("POST", "v1/cubes", body: body)
    }

    func cube(_ id: CubeID) async throws -> MemCube {
        try await client.send("GET", "v1/cubes/\(id)")
    }

    func cubes(owner: CubeOwner?, after cursor: String?, limit: Int) async throws -> Page<MemCube> {
        guard owner != .tenant else {
            throw MemVaultError(.invalidArgument, "listing only the tenant's shared cubes is not available over HTTP")
        }
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if case .subject(let subject) = owner { query.append(URLQueryItem(name: "subject", value: subject.rawValue)) }
        if let cursor { query.append(URLQueryItem(name: "after", value: cursor)) }
        return try await client.send("GET", "v1/cubes", query: query)
    }

    func deleteCube(_ id: CubeID) async throws {
        try await client.send("DELETE", "v1/cubes/\(id)")
    }

    func addMemories(_ memories: [NewMemory], to cubeID: CubeID) async throws -> [Memory] {
        struct Added: Decodable { let memories: [Memory] }
        let body: [String: JSONValue] = ["memories": .array(try memories.map(Self.json))]
        let added: Added = try await client.send("POST", "v1/cubes/\(cubeID)/memories", body: body)
        return added.memories
    }

    func memory(_ id: MemoryID, version: Int?) async throws -> Memory {
        try await client.send(
            "GET", "v1/memories/\(id)", query: version.map { [URLQueryItem(name: "version", value: String($0))] } ?? [])
    }

    func memories(
        in scope: MemoryScope, statuses: Set<MemoryStatus>, after cursor: String?, limit: Int
    ) async throws -> Page<Memory> {
        let path =
            switch scope {
            case .cube(let cube): "v1/cubes/\(cube)/memories"
            case .subject(let subject): "v1/subjects/\(subject)/memories"
            }
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        query += statuses.map(\.rawValue).sorted().map { URLQueryItem(name: "status", value: $0) }
        if let cursor { query.append(URLQueryItem(name: "after", value: cursor)) }
        return try await client.send("GET", path, query: query)
    }

    func updateMemory(_ id: MemoryID, _ changes: MemoryChanges) async throws -> Memory {
        var body: [String: JSONValue] = [:]
        if let content = changes.content { body["content"] = Self.json(content) }
        if let type = changes.type { body["type"] = .string(type.rawValue) }
        if let category = changes.category { body["category"] = .string(category) }
        if let tags = changes.tags { body["tags"] = .array(tags.map(JSONValue.string)) }
        if let source = changes.source { body["source"] = .string(source.rawValue) }
        if let detail = changes.sourceDetail { body["sourceDetail"] = .string(detail) }
        if let confidence = changes.confidence { body["confidence"] = .number(confidence) }
        for (key, date) in [
            ("occurredAt", changes.occurredAt), ("validFrom", changes.validFrom), ("validUntil", changes.validUntil),
        ] {
            if let date { body[key] = .string(Timestamps.format(date)) }
        }
        if let attributes = changes.attributes { body["attributes"] = .object(attributes.mapValues(JSONValue.string)) }
        if let embedding = changes.embedding { body["embedding"] = .array(embedding.map { .number(Double($0)) }) }
        return try await client.send("PATCH", "v1/memories/\(id)", body: body)
    }

    func archiveMemory(_ id: MemoryID) async throws -> Memory {
        try await client.send("POST", "v1/memories/\(id)/archive")
    }

    func deleteMemory(_ id: MemoryID) async throws {
        try await client.send("DELETE", "v1/memories/\(id)")
    }

    func history(_ id: MemoryID) async throws -> [Memory] {
        struct Versions: Decodable { let memories: [Memory] }
        let versions: Versions = try await client.send("GET", "v1/memories/\(id)/history")
        return versions.memories
    }

    /// Without a vector of the caller's, the server embeds the query with its own embedder (`embedder` is this
    /// process's, and unused here).
    func search(_ query: SearchQuery, embedder: (any Embedder)?) async throws -> SearchResults {
        var body: [String: JSONValue] = [
            "query": .string(query.text), "limit": .integer(query.limit),
            "tags": .array(query.tags.map(JSONValue.string)),
            "statuses": .array(query.filter.statuses.map(\.rawValue).sorted().map(JSONValue.string)),
        ]
        switch query.scope {
        case .subject(let subject): body["subject"] = .string(subject.rawValue)
        case .cubes(let cubes): body["cubes"] = .array(cubes.map { .string($0.rawValue) })
        }
        if let mode = query.requestedMode { body["mode"] = .string(mode.rawValue) }
        let filter = query.filter
        if let types = filter.types { body["types"] = .array(types.map(\.rawValue).sorted().map(JSONValue.string)) }
        if let categories = filter.categories { body["categories"] = .array(categories.sorted().map(JSONValue.string)) }
        for (key, time) in [
            ("occurredFrom", filter.occurredFrom), ("occurredUntil", filter.occurredUntil), ("validAt", filter.validAt),
        ] {
            if let time { body[key] = .string(Timestamps.format(time.date)) }
        }
        if let vector = query.vector { body["vector"] = .array(vector.map { .number(Double($0)) }) }
        switch query.fusion {
        case .reciprocalRank: body["fusion"] = .string("rrf")
        case .linear(let weight):
            if query.fusion != .defaultHybrid { body["vectorWeight"] = .number(weight) }
        }
        return try await client.send("POST", "v1/search", body: body)
    }

    func setConsent(
        _ state: ConsentState, subject: SubjectID, purpose: String, evidence: String?
    ) async throws -> ConsentRecord {
        var body: [String: JSONValue] = ["state": .string(state.rawValue)]
        if let evidence { body["evidence"] = .string(evidence) }
        return try await client.send("PUT", "v1/subjects/\(subject)/consent/\(purpose)", body: body)
    }

    func consentHistory(of subject: SubjectID) async throws -> [ConsentRecord] {
        struct History: Decodable { let records: [ConsentRecord] }
        let history: History = try await client.send("GET", "v1/subjects/\(subject)/consent")
        return history.records
    }

    func setHold(on target: HoldTarget, reason: String) async throws -> LegalHold {
        let targetField: (String, String) =
            switch target {
            case .subject(let subject): ("subject", subject.rawValue)
            case .cube(let cube): ("cube", cube.rawValue)
            }
        return try await client.send(
            "POST", "v1/holds", body: [targetField.0: JSONValue.string(targetField.1), "reason": .string(reason)])
    }

    func clearHold(_ id: String) async throws -> LegalHold {
        try await client.send("POST", "v1/holds/\(id)/clear")
    }

    func holds(includeCleared: Bool) async throws -> [LegalHold] {
        struct Holds: Decodable { let holds: [LegalHold] }
        let holds: Holds = try await client.send(
            "GET", "v1/holds", query: [URLQueryItem(name: "includeCleared", value: String(includeCleared))])
        return holds.holds
    }

    // MARK: - Bodies

    private static func json(_ memory: NewMemory) throws -> JSONValue {
        var body: [String: JSONValue] = [
            "content": json(memory.content), "type": .string(memory.type.rawValue),
            "tags": .array(memory.tags.map(JSONValue.string)), "source": .string(memory.source.rawValue),
            "attributes": .object(memory.attributes.mapValues(JSONValue.string)),
        ]
        if let category = memory.category { body["category"] = .string(category) }
        if let detail = memory.sourceDetail { body["sourceDetail"] = .string(detail) }
        if let confidence = memory.confidence { body["confidence"] = .number(confidence) }
        for (key, date) in [
            ("occurredAt", memory.occurredAt), ("validFrom", memory.validFrom), ("validUntil", memory.validUntil),
        ] {
            if let date { body[key] = .string(Timestamps.format(date)) }
        }
        if let embedding = memory.embedding { body["embedding"] = .array(embedding.map { .number(Double($0)) }) }
        return .object(body)
    }

    private static func json(_ content: MemoryContent) -> JSONValue {
        switch content {
        case .text(let text): .object(["kind": .string("text"), "text": .string(text)])
        case .binary(let bytes, let mediaType):
            .object([
                "kind": .string("binary"), "mediaType": .string(mediaType),
                "base64": .string(Data(bytes).base64EncodedString()),
            ])
        }
    }
}

/// A JSON value, for request bodies built field by field.
enum JSONValue: Encodable, Sendable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
