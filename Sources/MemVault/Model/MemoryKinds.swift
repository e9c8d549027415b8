/// MemOS's memory types: plaintext kinds, plus activation (e.g. a KV cache) and parametric (e.g. a LoRA adapter).
public enum MemoryType: String, Codable, Sendable, CaseIterable {
    case working
    case longTerm = "long-term"
    case profile
    case preference
    case episodic
    case activation
    case parametric
}

/// A memory's lifecycle state. Only active memories are returned by default.
public enum MemoryStatus: String, Codable, Sendable, CaseIterable {
    case active
    case archived
    case expired
}

/// Where a memory came from. The kind is stored in clear (policies condition on it); the detail is encrypted.
public enum SourceKind: String, Codable, Sendable, CaseIterable {
    case conversation
    case document
    case tool
    case `import`
}

/// A short token used in clear for things policies and queries need without keys: categories and cube kinds.
/// 1 to 64 characters of a-z, 0-9, '-', '_' and '.', starting with a letter.
enum Token {
    static func validate(_ value: String, what: String) throws -> String {
        let utf8 = Array(value.utf8)
        let allowed: (UInt8) -> Bool = { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard (1...64).contains(utf8.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(utf8[0]),
            utf8.allSatisfy(allowed)
        else {
            throw MemVaultError(
                .invalidArgument,
                "invalid \(what) '\(value.prefix(64))': use 1 to 64 characters from a-z, 0-9, '-', '_' and '.', "
                    + "starting with a letter")
        }
        return value
    }
}
