import HTTPTypes
import Hummingbird

/// The bearer token of the request being handled, set by `BearerTokenMiddleware` for the generated handlers, which
/// see only the operation's declared inputs.
enum BearerToken {
    @TaskLocal static var current: String?
}

struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
        return try await BearerToken.$current.withValue(token) { try await next(request, context) }
    }
}
