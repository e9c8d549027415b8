import Foundation
import MemVault

/// Turns the library's values into the API's generated types through their JSON, which the OpenAPI document
/// describes field for field: the library's `Encodable` shape is the one the command line's `--json` prints, so the
/// two cannot differ. A field the document does not declare fails the decoding (its schemas forbid additional
/// properties), so a drift is caught by the tests as an error, never shipped as an undocumented field.
enum JSONBridge {
    static func convert<Output: Decodable>(_ value: some Encodable, to type: Output.Type = Output.self) throws -> Output
    {
        try decoder.decode(Output.self, from: try encoder.encode(value))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Milliseconds.format(date))
        }
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = ISO8601Milliseconds.parse(try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time")
            }
            return date
        }
        return decoder
    }()
}
