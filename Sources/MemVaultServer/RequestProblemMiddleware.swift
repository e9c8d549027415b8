import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Answers a request the generated code could not decode (malformed JSON, a wrong type, an unknown field, a missing
/// header) with a 400 problem instead of a 500. The handlers never throw (they answer every failure themselves), so
/// an error reaching here happened before a handler ran. The detail names where, never what was sent.
struct RequestProblemMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError {
            let problem = Components.Schemas.Problem(
                _type: "https://memvault.dev/problems/invalid_argument", title: "Invalid request", status: 400,
                detail: "the request does not match the API" + Self.location(of: error.underlyingError),
                code: "invalid_argument")
            var response = HTTPResponse(status: .badRequest)
            response.headerFields[.contentType] = "application/problem+json"
            return (response, HTTPBody(ProblemResponse.encoded(problem)))
        }
    }

    /// Where decoding failed (the field path), if known.
    private static func location(of error: any Error) -> String {
        let path: [any CodingKey] =
            switch error as? DecodingError {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                .dataCorrupted(let context):
                context.codingPath
            default: []
            }
        let keys = path.map(\.stringValue).filter { !$0.isEmpty }
        return keys.isEmpty ? ": check its JSON and fields" : " at '\(keys.joined(separator: "."))'"
    }
}
