import Foundation
import MCP
import MemVault

/// The arguments of each tool, decoded from the call's JSON (times as ISO 8601). A field of the wrong type, or a
/// required one missing, fails the call with a message saying which.
struct RememberArguments: Decodable {
    let content: String
    let type: MemoryType?
    let category: String?
    let tags: [String]?
    let occurredAt: Date?
    let cube: CubeID?
}

struct RecallArguments: Decodable {
    let query: String
    let limit: Int?
    let types: [MemoryType]?
    let categories: [String]?
    let tags: [String]?
    let occurredFrom: Date?
    let occurredUntil: Date?
}

struct MemoryArguments: Decodable {
    let id: MemoryID
    let version: Int?
}

struct ListArguments: Decodable {
    let limit: Int?
    let cursor: String?
    let includeArchived: Bool?
}

struct UpdateArguments: Decodable {
    let id: MemoryID
    let content: String?
    let type: MemoryType?
    let category: String?
    let tags: [String]?
    let occurredAt: Date?
}

enum ToolArguments {
    static func decode<Arguments: Decodable>(
        _ type: Arguments.Type, from arguments: [String: Value]?
    ) throws -> Arguments {
        do {
            return try decoder.decode(type, from: try JSONEncoder().encode(arguments ?? [:]))
        } catch let error as DecodingError {
            throw MemVaultError(.invalidArgument, "the arguments do not fit the tool's schema: \(describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "'\(key.stringValue)' is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "'\(path(context.codingPath))' has the wrong type"
        case .dataCorrupted(let context):
            return "'\(path(context.codingPath))' is not valid" + (context.underlyingError == nil ? "" : "")
        @unknown default: return "malformed"
        }
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = ISO8601Milliseconds.parse(try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 time such as 2026-11-21T10:00:00Z")
            }
            return date
        }
        return decoder
    }()
}
