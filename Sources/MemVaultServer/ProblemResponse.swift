import Foundation
import HTTPTypes
import Hummingbird

/// A problem answered by a middleware, outside the generated handlers: the same RFC 9457 document they answer.
enum ProblemResponse {
    static func make(
        status: HTTPResponse.Status, code: String, title: String, detail: String,
        headers extra: HTTPFields = [:]
    ) -> Response {
        let problem = Components.Schemas.Problem(
            _type: "https://memvault.dev/problems/\(code)", title: title, status: status.code, detail: detail,
            code: code)
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encoded(problem))))
    }

    static func encoded(_ problem: Components.Schemas.Problem) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // A problem of plain strings and an integer always encodes.
        return (try? encoder.encode(problem)) ?? Data()
    }
}
