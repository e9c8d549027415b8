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
        // The scheme is case-insensitive (RFC 9110 §11.1).
        let header = request.headers[.authorization] ?? ""
        let token = header.prefix(7).lowercased() == "bearer " ? String(header.dropFirst(7)) : nil
        return try await BearerToken.$current.withValue(token) { try await next(request, context) }
    }
}
