import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// The generated API protocol's implementation: each operation authenticates its credential, then calls the store
/// for the credential's tenant, role and (allowed) purpose. Every failure becomes one RFC 9457 problem.
struct API: APIProtocol {
    let store: MemoryStore
    let embedder: (any Embedder)?
    let readiness: Readiness
    let metrics: MetricsExposition?
    let rateLimiter = RateLimiter()

    // MARK: - Credentials

    /// The request's credential, from its `Authorization: Bearer` header (see `BearerTokenMiddleware`), admitted
    /// by its tenant's requests-per-second quota.
    func authenticated() async throws -> Credential {
        guard let token = BearerToken.current else { throw Problems.unauthenticated }
        let credential = try await store.authenticate(token: token)
        if let tenant = credential.tenant,
            let rate = try await store.tenant(tenant, as: credential.context(purpose: nil)).quotas.requestsPerSecond
        {
            try rateLimiter.admit(tenant, perSecond: rate)
        }
        return credential
    }

    /// The store of the credential's tenant, acting as the credential for `purpose` (one it allows); confined to
    /// the subject a `MemVault-Subject` header names, if the request sends one.
    func tenantStore(purpose: String?) async throws -> TenantStore {
        let credential = try await authenticated()
        guard let tenant = credential.tenant else { throw Problems.installationCredential }
        let store = try await store.tenant(tenant, as: credential.context(purpose: purpose))
        guard let scope = SubjectScope.current else { return store }
        return store.confined(to: try SubjectID(scope))
    }
}
