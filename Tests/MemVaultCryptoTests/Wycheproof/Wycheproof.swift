import Foundation
import MemVaultCrypto
import Testing

/// A Wycheproof vector file (C2SP/wycheproof, `testvectors_v1`); see Fixtures/wycheproof/SOURCE.md.
struct WycheproofFile<Group: Decodable>: Decodable {
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]

    static func load(_ name: String) throws -> Self {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/wycheproof"),
            "missing fixture \(name).json")
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

enum WycheproofResult: String, Decodable {
    case valid, invalid, acceptable
}

/// Hex fields decode eagerly, so a malformed fixture fails loudly at load time.
struct HexBytes: Decodable {
    let bytes: [UInt8]

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Hex.decode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not hex"))
        }
        self.bytes = bytes
    }
}

/// Counts outcomes of one runner and prints the figure the issue asks for.
struct VectorTally: CustomStringConvertible {
    let name: String
    var passed = 0
    var inScope = 0
    var refused = 0
    var failures: [String] = []

    mutating func check(_ condition: Bool, _ vector: Int, _ what: String) {
        if !condition { failures.append("tcId \(vector): \(what)") }
    }

    var description: String {
        refused > 0
            ? "\(name): \(passed)/\(inScope) vectors, \(refused) refused"
            : "\(name): \(passed)/\(inScope) vectors"
    }
}
