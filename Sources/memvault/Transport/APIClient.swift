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

    func send<Output: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], body: (any Encodable)? = nil,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        let data = try await exchange(method, path, query: query, body: body)
        do {
            return try Self.decoder.decode(Output.self, from: data)
        } catch {
            throw MemVaultError(
                .internalError, "the server's answer to \(method) \(path) is not what the API describes")
        }
    }

    /// A request whose answer has no body (204).
    func send(_ method: String, _ path: String, body: (any Encodable)? = nil) async throws {
        _ = try await exchange(method, path, query: [], body: body)
    }

    private func exchange(
        _ method: String, _ path: String, query: [URLQueryItem], body: (any Encodable)?
    ) async throws -> Data {
        var components = URLComponents(url: base.appending(path: path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw MemVaultError(.invalidArgument, "invalid server URL \(base)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "MemVault-Purpose") }
        if let scope { request.setValue(scope.rawValue, forHTTPHeaderField: "MemVault-Subject") }
        if let body {
            request.httpBody = try Self.encoder.encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw MemVaultError(.unavailable, "the server at \(base) does not answer: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let problem = try? Self.decoder.decode(Problem.self, from: data) {
                throw MemVaultError(.init(problem.code), problem.detail ?? "HTTP \(problem.status)")
            }
            throw MemVaultError(.unavailable, "the server answered HTTP \(status) to \(method) \(path)")
        }
        return data
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
