import Foundation
import MemVault
import OpenAPIRuntime

/// Subjects, cubes, memories and search: the application's routes, each for the purpose it declares.
extension API {
    func resolveSubject(_ input: Operations.ResolveSubject.Input) async throws -> Operations.ResolveSubject.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let subject = try await tenantStore(purpose: input.headers.memVaultPurpose).resolveSubject(
                externalID: body.externalId, create: body.create ?? true)
            return .ok(.init(body: .json(try JSONBridge.convert(subject))))
        }
    }

    func getSubject(_ input: Operations.GetSubject.Input) async throws -> Operations.GetSubject.Output {
        await answering {
            let subject = try await tenantStore(purpose: input.headers.memVaultPurpose).subject(
                try SubjectID(input.path.subjectId))
            return .ok(.init(body: .json(try JSONBridge.convert(subject))))
        }
    }

    func listSubjectMemories(
        _ input: Operations.ListSubjectMemories.Input
    ) async throws -> Operations.ListSubjectMemories.Output {
        await answering {
            let page = try await tenantStore(purpose: input.headers.memVaultPurpose).memories(
                in: .subject(try SubjectID(input.path.subjectId)), statuses: Self.statuses(input.query.status),
                after: input.query.after, limit: input.query.limit ?? 100)
            return .ok(.init(body: .json(try JSONBridge.convert(page))))
        }
    }

    func listCubes(_ input: Operations.ListCubes.Input) async throws -> Operations.ListCubes.Output {
        await answering {
            let owner = try input.query.subject.map { CubeOwner.subject(try SubjectID($0)) }
            let page = try await tenantStore(purpose: input.headers.memVaultPurpose).cubes(
                owner: owner, after: input.query.after, limit: input.query.limit ?? 100)
            return .ok(.init(body: .json(try JSONBridge.convert(page))))
        }
    }

    func createCube(_ input: Operations.CreateCube.Input) async throws -> Operations.CreateCube.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let owner: CubeOwner = try body.subject.map { .subject(try SubjectID($0)) } ?? .tenant
            let analysis = body.analysis.map {
                TextAnalysis(stemming: $0.stemming, stopWords: $0.stopWords, indexed: $0.indexed)
            }
            let cube = try await tenantStore(purpose: input.headers.memVaultPurpose).createCube(
                NewCube(
                    owner: owner, name: body.name, kind: body.kind ?? "general",
                    defaultCategory: body.defaultCategory ?? "general", provenance: Provenance(origin: body.origin),
                    analysis: analysis ?? .standard, embeddingDimension: body.embeddingDimension,
                    embedder: body.embedder))
            return .created(.init(body: .json(try JSONBridge.convert(cube))))
        }
    }

    func getCube(_ input: Operations.GetCube.Input) async throws -> Operations.GetCube.Output {
        await answering {
            let cube = try await tenantStore(purpose: input.headers.memVaultPurpose).cube(try CubeID(input.path.cubeId))
            return .ok(.init(body: .json(try JSONBridge.convert(cube))))
        }
    }

    func deleteCube(_ input: Operations.DeleteCube.Input) async throws -> Operations.DeleteCube.Output {
        await answering {
            try await tenantStore(purpose: input.headers.memVaultPurpose).deleteCube(try CubeID(input.path.cubeId))
            return .noContent(.init())
        }
    }

    func listCubeMemories(_ input: Operations.ListCubeMemories.Input) async throws -> Operations.ListCubeMemories.Output
    {
        await answering {
            let page = try await tenantStore(purpose: input.headers.memVaultPurpose).memories(
                in: .cube(try CubeID(input.path.cubeId)), statuses: Self.statuses(input.query.status),
                after: input.query.after, limit: input.query.limit ?? 100)
            return .ok(.init(body: .json(try JSONBridge.convert(page))))
        }
    }

    func addMemories(_ input: Operations.AddMemories.Input) async throws -> Operations.AddMemories.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let memories = try await tenantStore(purpose: input.headers.memVaultPurpose).addMemories(
                try body.memories.map(Self.newMemory), to: try CubeID(input.path.cubeId))
            return .created(.init(body: .json(.init(memories: try memories.map(Components.Schemas.Memory.init)))))
        }
    }

    func getMemory(_ input: Operations.GetMemory.Input) async throws -> Operations.GetMemory.Output {
        await answering {
            let memory = try await tenantStore(purpose: input.headers.memVaultPurpose).memory(
                try MemoryID(input.path.memoryId), version: input.query.version)
            return .ok(.init(body: .json(try Components.Schemas.Memory(memory))))
        }
    }

    func updateMemory(_ input: Operations.UpdateMemory.Input) async throws -> Operations.UpdateMemory.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let memory = try await tenantStore(purpose: input.headers.memVaultPurpose).updateMemory(
                try MemoryID(input.path.memoryId),
                MemoryChanges(
                    content: try Self.content(text: body.text, content: body.content, required: false),
                    type: try body._type.map { try Self.libraryValue($0) }, category: body.category, tags: body.tags,
                    source: try body.source.map { try Self.libraryValue($0) }, sourceDetail: body.sourceDetail,
                    confidence: body.confidence, occurredAt: body.occurredAt, validFrom: body.validFrom,
                    validUntil: body.validUntil, attributes: body.attributes?.additionalProperties,
                    embedding: body.embedding?.map(Float.init)))
            return .ok(.init(body: .json(try Components.Schemas.Memory(memory))))
        }
    }

    func deleteMemory(_ input: Operations.DeleteMemory.Input) async throws -> Operations.DeleteMemory.Output {
        await answering {
            try await tenantStore(purpose: input.headers.memVaultPurpose).deleteMemory(
                try MemoryID(input.path.memoryId))
            return .noContent(.init())
        }
    }

    func getMemoryHistory(_ input: Operations.GetMemoryHistory.Input) async throws -> Operations.GetMemoryHistory.Output
    {
        await answering {
            let versions = try await tenantStore(purpose: input.headers.memVaultPurpose).history(
                try MemoryID(input.path.memoryId))
            return .ok(.init(body: .json(.init(memories: try versions.map { try JSONBridge.convert($0) }))))
        }
    }

    func archiveMemory(_ input: Operations.ArchiveMemory.Input) async throws -> Operations.ArchiveMemory.Output {
        await answering {
            let memory = try await tenantStore(purpose: input.headers.memVaultPurpose).archiveMemory(
                try MemoryID(input.path.memoryId))
            return .ok(.init(body: .json(try Components.Schemas.Memory(memory))))
        }
    }

    func search(_ input: Operations.Search.Input) async throws -> Operations.Search.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let scope: SearchQuery.Scope
            switch (body.subject, body.cubes) {
            case (let subject?, nil): scope = .subject(try SubjectID(subject))
            case (nil, let cubes?): scope = .cubes(try cubes.map { try CubeID($0) })
            default: throw MemVaultError(.invalidArgument, "give exactly one of 'subject' or 'cubes'")
            }
            guard !body.query.allSatisfy(\.isWhitespace) || body.vector != nil else {
                throw MemVaultError(.invalidArgument, "give words in 'query', a 'vector', or both")
            }
            let filter = SearchFilter(
                statuses: Set(try body.statuses?.map { try Self.libraryValue($0) } ?? [.active]),
                types: try body.types.map { Set(try $0.map { try Self.libraryValue($0) }) },
                categories: body.categories.map(Set.init), occurredFrom: body.occurredFrom.map(StoredTime.init(now:)),
                occurredUntil: body.occurredUntil.map(StoredTime.init(now:)),
                validAt: body.validAt.map(StoredTime.init(now:)))
            let fusion: Fusion =
                switch (body.fusion, body.vectorWeight) {
                case (.rrf, nil): .reciprocalRank
                case (.rrf, _): throw MemVaultError(.invalidArgument, "vectorWeight is for linear fusion, not rrf")
                case (_, let weight?): .linear(vectorWeight: weight)
                case (_, nil): .defaultHybrid
                }
            let results = try await tenantStore(purpose: input.headers.memVaultPurpose).search(
                SearchQuery(
                    body.query, in: scope, limit: body.limit ?? 10, tags: body.tags ?? [], filter: filter,
                    vector: body.vector?.map(Float.init), mode: try body.mode.map { try Self.libraryValue($0) },
                    fusion: fusion), embedder: embedder)
            return .ok(.init(body: .json(try JSONBridge.convert(results))))
        }
    }

    // MARK: - Inputs

    private static func newMemory(_ body: Components.Schemas.NewMemory) throws -> NewMemory {
        NewMemory(
            content: try content(text: body.text, content: body.content, required: true)!,
            type: try body._type.map { try libraryValue($0) } ?? .longTerm, category: body.category,
            tags: body.tags ?? [], source: try body.source.map { try libraryValue($0) } ?? .conversation,
            sourceDetail: body.sourceDetail, confidence: body.confidence, occurredAt: body.occurredAt,
            validFrom: body.validFrom, validUntil: body.validUntil,
            attributes: body.attributes?.additionalProperties ?? [:], embedding: body.embedding?.map(Float.init))
    }

    /// `text`, or a `content` object; exactly one when `required`, at most one otherwise.
    private static func content(
        text: String?, content: Components.Schemas.Content?, required: Bool
    ) throws -> MemoryContent? {
        switch (text, content) {
        case (let text?, nil): return .text(text)
        case (nil, let content?):
            switch (content.kind, content.text, content.mediaType, content.base64) {
            case (.text, let text?, nil, nil): return .text(text)
            case (.binary, nil, let mediaType?, let base64?):
                guard let bytes = Data(base64Encoded: base64) else {
                    throw MemVaultError(.invalidArgument, "content.base64 is not valid base64")
                }
                return .binary(bytes: Array(bytes), mediaType: mediaType)
            default:
                throw MemVaultError(
                    .invalidArgument, "content is {kind: text, text} or {kind: binary, mediaType, base64}")
            }
        case (nil, nil):
            if required { throw MemVaultError(.invalidArgument, "a memory needs 'text' or 'content'") }
            return nil
        case (.some, .some): throw MemVaultError(.invalidArgument, "give 'text' or 'content', not both")
        }
    }

    /// The statuses to list: the ones asked for, else active ones.
    private static func statuses(_ given: [Components.Schemas.MemoryStatus]?) throws -> Set<MemoryStatus> {
        guard let given, !given.isEmpty else { return [.active] }
        return Set(try given.map { try libraryValue($0) })
    }

    /// A library enum from the generated one of the same raw values.
    static func libraryValue<Value: RawRepresentable<String>>(
        _ value: some RawRepresentable<String>, as type: Value.Type = Value.self
    ) throws -> Value {
        guard let converted = Value(rawValue: value.rawValue) else { throw Problems.unsupportedBody }
        return converted
    }
}
