import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// The generated API protocol's implementation: each operation authenticates its credential, then calls the store
/// on behalf of the credential's tenant and role.
struct API: APIProtocol {
    let store: MemoryStore

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getWhoAmI(_ input: Operations.GetWhoAmI.Input) async throws -> Operations.GetWhoAmI.Output {
        guard let credential = try? await authenticated() else {
            return .unauthorized(.init(body: .applicationProblemJson(Self.unauthenticated)))
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        id: credential.id, tenant: credential.tenant?.rawValue,
                        role: .init(rawValue: credential.role.rawValue) ?? .application, purposes: credential.purposes,
                        expiresAt: credential.expiresAt))))
    }

    /// The request's credential, from its `Authorization: Bearer` header (see `BearerTokenMiddleware`).
    private func authenticated() async throws -> Credential {
        guard let token = BearerToken.current else {
            throw MemVaultError(.unauthenticated, "the credential is malformed, unknown, revoked or expired")
        }
        return try await store.authenticate(token: token)
    }

    static let unauthenticated = Components.Schemas.Problem(
        _type: "https://memvault.dev/problems/unauthenticated", title: "Unauthenticated", status: 401,
        detail: "the credential is malformed, unknown, revoked or expired", code: "unauthenticated")
}
