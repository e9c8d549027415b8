import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// The generated API protocol's implementation: each operation authenticates its credential, then calls the store
/// for the credential's tenant, role and (allowed) purpose. Every failure becomes one RFC 9457 problem.
struct API: APIProtocol {
    let store: MemoryStore

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getWhoAmI(_ input: Operations.GetWhoAmI.Input) async throws -> Operations.GetWhoAmI.Output {
        guard let credential = try? await authenticated() else {
            let (_, problem) = Problems.problem(for: Problems.unauthenticated)
            return .unauthorized(.init(body: .applicationProblemJson(problem)))
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        id: credential.id, tenant: credential.tenant?.rawValue,
                        role: .init(rawValue: credential.role.rawValue) ?? .application, purposes: credential.purposes,
                        expiresAt: credential.expiresAt))))
    }

    func resolveSubject(_ input: Operations.ResolveSubject.Input) async throws -> Operations.ResolveSubject.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let subject = try await tenantStore(purpose: input.headers.memVaultPurpose).resolveSubject(
                externalID: body.externalId, create: body.create ?? true)
            return .ok(.init(body: .json(.init(id: subject.id.rawValue, pseudonym: subject.pseudonym))))
        }
    }

    func createCube(_ input: Operations.CreateCube.Input) async throws -> Operations.CreateCube.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let owner: CubeOwner = try body.subject.map { .subject(try SubjectID($0)) } ?? .tenant
            let cube = try await tenantStore(purpose: input.headers.memVaultPurpose).createCube(
                NewCube(owner: owner, name: body.name, defaultCategory: body.category ?? "general"))
            return .created(
                .init(
                    body: .json(
                        .init(
                            id: cube.id.rawValue, subject: cube.subject?.rawValue, name: cube.name,
                            category: cube.defaultCategory))))
        }
    }

    func addMemories(_ input: Operations.AddMemories.Input) async throws -> Operations.AddMemories.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let memories = try await tenantStore(purpose: input.headers.memVaultPurpose).addMemories(
                body.memories.map { NewMemory(content: .text($0.text), category: $0.category, tags: $0.tags ?? []) },
                to: try CubeID(input.path.cubeId))
            return .created(.init(body: .json(.init(memories: memories.map(Self.memory)))))
        }
    }

    func getMemory(_ input: Operations.GetMemory.Input) async throws -> Operations.GetMemory.Output {
        await answering {
            let memory = try await tenantStore(purpose: input.headers.memVaultPurpose).memory(
                try MemoryID(input.path.memoryId))
            return .ok(.init(body: .json(Self.memory(memory))))
        }
    }

    func deleteMemory(_ input: Operations.DeleteMemory.Input) async throws -> Operations.DeleteMemory.Output {
        await answering {
            try await tenantStore(purpose: input.headers.memVaultPurpose).deleteMemory(
                try MemoryID(input.path.memoryId))
            return .noContent(.init())
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
            let results = try await tenantStore(purpose: input.headers.memVaultPurpose).search(
                SearchQuery(body.query, in: scope, limit: body.limit ?? 10))
            return .ok(
                .init(
                    body: .json(
                        .init(
                            hits: results.hits.map { .init(memory: Self.memory($0.memory), score: $0.score) },
                            withheld: results.withheld.reduce(0) { $0 + $1.count }))))
        }
    }

    // MARK: - Credentials

    /// The request's credential, from its `Authorization: Bearer` header (see `BearerTokenMiddleware`).
    private func authenticated() async throws -> Credential {
        guard let token = BearerToken.current else { throw Problems.unauthenticated }
        return try await store.authenticate(token: token)
    }

    /// The store of the credential's tenant, acting as the credential for `purpose` (one it allows).
    func tenantStore(purpose: String?) async throws -> TenantStore {
        let credential = try await authenticated()
        guard let tenant = credential.tenant else {
            throw MemVaultError(.denied, "an installation credential does not act on a tenant's memories")
        }
        return try await store.tenant(tenant, as: credential.context(purpose: purpose))
    }

    private static func memory(_ memory: Memory) -> Components.Schemas.Memory {
        let text: String? = if case .text(let text) = memory.content { text } else { nil }
        return .init(
            id: memory.id.rawValue, cube: memory.cube.rawValue, subject: memory.subject?.rawValue,
            version: memory.version, category: memory.category, text: text, tags: memory.tags,
            createdAt: memory.createdAt, updatedAt: memory.updatedAt)
    }
}
