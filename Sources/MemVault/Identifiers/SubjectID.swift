import MemVaultCrypto

/// MemVault's internal identifier of a subject (an end user of a tenant): random, so it reveals nothing about the
/// person. The tenant's own external id for the subject is never used as an identifier anywhere in storage.
public struct SubjectID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    static let prefix = "sub_"

    /// A fresh identifier with 128 random bits.
    public static func random() throws -> SubjectID {
        try SubjectID(prefix + Hex.encode(SecureRandom.bytes(count: 16)))
    }

    public init(_ rawValue: String) throws {
        let hex = rawValue.utf8.dropFirst(Self.prefix.utf8.count)
        guard rawValue.hasPrefix(Self.prefix), hex.count == 32, Hex.decode(String(decoding: hex, as: UTF8.self)) != nil,
            rawValue == rawValue.lowercased()
        else {
            throw MemVaultError(
                .invalidArgument, "invalid subject id: expected '\(Self.prefix)' followed by 32 lowercase hex digits")
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
