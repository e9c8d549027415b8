import Foundation
import MemVault

/// Reading other platforms' files: bounded in size, parsed as plain JSON values (nothing is instantiated from
/// them), with times in the forms Python libraries write.
enum ForeignFile {
    static func json(_ url: URL, maximumBytes: Int, what: String) throws -> JSONValue {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            throw InteropError("\(what) does not exist or cannot be read")
        }
        let size = attributes[.size] as? Int ?? 0
        guard size <= maximumBytes else {
            throw InteropError("\(what) is \(size) bytes; at most \(maximumBytes) are read")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        } catch {
            throw InteropError("\(what) is not valid JSON")
        }
    }

    /// ISO 8601 with up to nanoseconds and an offset (Python's `isoformat()`), or without a zone (read as UTC); kept
    /// to the millisecond, the precision MemVault stores.
    static func time(_ value: JSONValue?) throws -> Date? {
        guard let text = value?.string else { return nil }
        if let date = ISO8601Milliseconds.parse(text) { return date }
        var trimmed = text
        if let dot = text.firstIndex(of: ".") {
            let fractionEnd = text[dot...].dropFirst().firstIndex { !$0.isNumber } ?? text.endIndex
            let digits = text[text.index(after: dot)..<fractionEnd].prefix(3)
            trimmed = String(text[..<dot]) + "." + digits + String(text[fractionEnd...])
        }
        if let date = ISO8601Milliseconds.parse(trimmed) ?? ISO8601Milliseconds.parse(trimmed + "Z") { return date }
        throw InteropError("'\(text.prefix(40))' is not an ISO 8601 time")
    }
}

/// A foreign file MemVault cannot read, and why.
public struct InteropError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
