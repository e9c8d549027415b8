import Foundation
import MemVaultCrypto

/// Identifiers of the form `prefix_` + 26 Crockford base32 characters (a ULID: 48-bit millisecond time, 80 random
/// bits). They sort by creation time, which keeps index inserts local and makes id order a stable paging order.
/// The time they carry is already stored in clear as `createdAt`, so they reveal nothing new.
enum SortableIdentifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func make(prefix: String, at date: Date = .now) throws -> String {
        try make(prefix: prefix, count: 1, at: date)[0]
    }

    /// `count` identifiers from one draw of the random generator (one call per batch, not per id).
    static func make(prefix: String, count: Int, at date: Date = .now) throws -> [String] {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let random = try SecureRandom.bytes(count: 10 * count)
        return (0..<count).map { index in
            make(prefix: prefix, milliseconds: milliseconds, random: random[(index * 10)..<(index * 10 + 10)])
        }
    }

    private static func make(prefix: String, milliseconds: UInt64, random: ArraySlice<UInt8>) -> String {
        let random = Array(random)
        // 128 bits: time in the top 48, randomness below, read out 5 bits at a time from the top (2 pad bits).
        var high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | UInt64(random[0]) << 8 | UInt64(random[1])
        var low = random[2...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var characters = [UInt8](repeating: 0, count: 26)
        for index in stride(from: 25, through: 0, by: -1) {
            characters[index] = alphabet[Int(low & 0x1F)]
            low = low >> 5 | (high & 0x1F) << 59
            high >>= 5
        }
        return prefix + String(decoding: characters, as: UTF8.self)
    }

    static func isValid(_ value: String, prefix: String) -> Bool {
        guard value.hasPrefix(prefix) else { return false }
        let body = value.utf8.dropFirst(prefix.utf8.count)
        // The first character carries only 3 bits (128 = 2 pad bits + 126), so it is at most '7'.
        guard body.count == 26, let first = body.first, first <= UInt8(ascii: "7") else { return false }
        return body.allSatisfy { alphabet.contains($0) }
    }
}

/// A MemCube's identifier: `cube_` + ULID.
public struct CubeID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String
    static let prefix = "cube_"

    public static func make() throws -> CubeID { CubeID(unchecked: try SortableIdentifier.make(prefix: prefix)) }

    public init(_ rawValue: String) throws {
        guard SortableIdentifier.isValid(rawValue, prefix: Self.prefix) else {
            throw MemVaultError(
                .invalidArgument, "invalid cube id '\(rawValue.prefix(64))': expected 'cube_' and 26 base32 characters")
        }
        self.rawValue = rawValue
    }

    /// For ids read back from storage: a wrong one fails the envelope binding it is part of, so it is not parsed twice.
    package init(unchecked rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (lhs: CubeID, rhs: CubeID) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws { try self.init(decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A memory's identifier, stable across its versions: `mem_` + ULID.
public struct MemoryID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String
    static let prefix = "mem_"

    public static func make() throws -> MemoryID { MemoryID(unchecked: try SortableIdentifier.make(prefix: prefix)) }

    /// `count` new ids, drawn together.
    static func make(count: Int, at date: Date) throws -> [MemoryID] {
        try SortableIdentifier.make(prefix: prefix, count: count, at: date).map(MemoryID.init(unchecked:))
    }

    public init(_ rawValue: String) throws {
        guard SortableIdentifier.isValid(rawValue, prefix: Self.prefix) else {
            throw MemVaultError(
                .invalidArgument, "invalid memory id '\(rawValue.prefix(64))': expected 'mem_' and 26 base32 characters"
            )
        }
        self.rawValue = rawValue
    }

    /// For ids read back from storage: a wrong one fails the envelope binding it is part of, so it is not parsed twice.
    package init(unchecked rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (lhs: MemoryID, rhs: MemoryID) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws { try self.init(decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
