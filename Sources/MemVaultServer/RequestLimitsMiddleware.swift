import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Bounds each request: its body is read up to `maximumBodyBytes` (`maximumBundleBytes` for bundles, modules and
/// foreign dumps;
/// 413 beyond, before the rest is read), and the
/// whole request, body and handling, gets `timeout` (503 `request_timeout` past it: the handler is cancelled, and
/// the store's units of work not yet started are abandoned).
struct RequestLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBodyBytes: Int
    let maximumBundleBytes: Int
    let timeout: Duration

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let maximumBodyBytes = Self.carriesBundle(request.uri.path) ? maximumBundleBytes : maximumBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyBytes {
            return Self.tooLarge(maximumBodyBytes)
        }
        return try await withoutActuallyEscaping(next) { next in
            // The handler runs in a child task so the deadline can cancel it; the group awaits it before this
            // returns, so `next` is used by one task at a time and never outlives this call.
            let handler = UncheckedHandler(next: next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { [request, maximumBodyBytes] in
                    var request = request
                    let body: ByteBuffer
                    do {
                        body = try await request.body.collect(upTo: maximumBodyBytes)
                    } catch let error as HTTPError where error.status == .contentTooLarge {
                        return Self.tooLarge(maximumBodyBytes)
                    }
                    request.body = .init(buffer: body)
                    return try await handler.next(request, context)
                }
                group.addTask { [timeout] in
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    return Self.timedOut(timeout)
                }
                return response
            }
        }
    }

    /// Routes whose body is a bundle, a module or another platform's dump: bounded by the store's bundle limit.
    private static func carriesBundle(_ path: String) -> Bool {
        path == "/v1/bundles" || path.hasPrefix("/v1/imports/")
            || ["/v1/modules/install", "/v1/modules/upgrade", "/v1/modules/sign"].contains(path)
    }

    private static func tooLarge(_ limit: Int) -> Response {
        ProblemResponse.make(
            status: .contentTooLarge, code: "limit_exceeded", title: "Too large",
            detail: "the request body exceeds \(limit) bytes")
    }

    private static func timedOut(_ timeout: Duration) -> Response {
        ProblemResponse.make(
            status: .serviceUnavailable, code: "request_timeout", title: "Unavailable",
            detail: "the request did not complete within \(timeout.components.seconds) s")
    }
}

/// The next handler, carried into the child task that runs it (see `handle`).
private struct UncheckedHandler<Context: RequestContext>: @unchecked Sendable {
    let next: (Request, Context) async throws -> Response
}
