import HTTPTypes
import Hummingbird

/// `MemVault-Subject: sub_…` on a request: the tenant's store answers it confined to that subject
/// (`TenantStore.confined(to:)`), so every other subject's ids and the shared cubes are unknown to it. What an agent's
/// client sends (`memvault mcp` through a server), like the MCP endpoint's session binding.
enum SubjectScope {
    @TaskLocal static var current: String?

    static let header = HTTPField.Name("MemVault-Subject")!
}

struct SubjectScopeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await SubjectScope.$current.withValue(request.headers[SubjectScope.header]) {
            try await next(request, context)
        }
    }
}
