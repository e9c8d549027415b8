import Foundation
import MemVault

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A running MemVault server, reached with a credential: JSON in and out, each problem turned back into the
/// `MemVaultError` the server answered with (its stable code and detail).
struct APIClient: Sendable {
    let base: URL
    let token: String
    /// Sent as `MemVault-Purpose` on every request.
    let purpose: String?
    /// Sent as `MemVault-Subject`: the server confines the requests to this subject (an agent's session).
    var scope: SubjectID? = nil

    struct Problem: Decodable {
        let code: String
        let detail: String?
        let status: Int
    }

    /// What a request carries: a JSON document, or bytes (a bundle, a module).
    enum RequestBody {
        case json(any Encodable)
        case binary([UInt8])
    }

    func send<Output: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], body: (any Encodable)? = nil,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        try await send(method, path, query: query, content: body.map { .json($0) })
    }

    /// A request whose body is `content` and whose answer is JSON.
    func send<Output: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], content: RequestBody?,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        let (data, _) = try await exchange(method, path, query: query, body: content)
        do {
            return try Self.decoder.decode(Output.self, from: data)
        } catch {
            throw MemVaultError(
                .internalError, "the server's answer to \(method) \(path) is not what the API describes")
        }
    }

    /// A request whose answer has no body (204).
    func send(_ method: String, _ path: String, body: (any Encodable)? = nil) async throws {
        _ = try await exchange(method, path, query: [], body: body.map { .json($0) })
    }

    /// A request whose answer is bytes (a bundle, a module).
    func download(_ method: String, _ path: String, content: RequestBody?) async throws -> [UInt8] {
        let (data, response) = try await exchange(method, path, query: [], body: content)
        guard response.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("application/octet-stream") == true else {
            throw MemVaultError(.internalError, "the server's answer to \(method) \(path) is not the bytes expected")
        }
        return Array(data)
    }

    private func exchange(
        _ method: String, _ path: String, query: [URLQueryItem], body: RequestBody?
    ) async throws -> (Data, HTTPURLResponse) {
        var components = URLComponents(url: base.appending(path: path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw MemVaultError(.invalidArgument, "invalid server URL \(base)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "MemVault-Purpose") }
        if let scope { request.setValue(scope.rawValue, forHTTPHeaderField: "MemVault-Subject") }
        switch body {
        case .json(let document):
            request.httpBody = try Self.encoder.encode(document)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        case .binary(let bytes):
            request.httpBody = Data(bytes)
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        case nil:
            break
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw MemVaultError(.unavailable, "the server at \(base) does not answer: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw MemVaultError(.unavailable, "the server at \(base) did not answer over HTTP")
        }
        guard (200..<300).contains(http.statusCode) else {
            if let problem = try? Self.decoder.decode(Problem.self, from: data) {
                throw MemVaultError(.init(problem.code), problem.detail ?? "HTTP \(problem.status)")
            }
            throw MemVaultError(.unavailable, "the server answered HTTP \(http.statusCode) to \(method) \(path)")
        }
        return (data, http)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.format(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Timestamps.parse(text, option: "a time in the server's answer")
        }
        return decoder
    }()
}
