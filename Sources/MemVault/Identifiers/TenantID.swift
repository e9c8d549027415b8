/// A tenant's identifier, chosen by the operator: 1 to 63 characters of lowercase letters, digits, `-` and `_`,
/// starting with a letter or digit. Used in file names and key ids, so the alphabet is deliberately small.
public struct TenantID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    public init(_ rawValue: String) throws {
        guard Self.isValid(rawValue) else {
            throw MemVaultError(
                .invalidArgument,
                "invalid tenant id '\(rawValue.prefix(80))': use 1 to 63 characters from a-z, 0-9, '-' and '_', "
                    + "starting with a letter or digit")
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func isValid(_ value: String) -> Bool {
        let utf8 = Array(value.utf8)
        guard (1...63).contains(utf8.count), let first = utf8.first, isLowerAlphanumeric(first) else { return false }
        return utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
