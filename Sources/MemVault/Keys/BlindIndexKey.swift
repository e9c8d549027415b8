import MemVaultCrypto

/// Turns search terms into blind terms: keyed hashes (HMAC-SHA256, truncated to 80 bits, base32) under a key derived
/// from the owner's data key secret, one key per subject (or per tenant for shared cubes). The index stores only
/// blind terms, so equal terms are equal within one owner's index and unrelated across owners; without the key
/// a blind term cannot be tested against a guess. Destroying the owner's keys makes its terms unlinkable.
struct BlindIndexKey: Sendable {
    private let authenticator: HMACSHA256Authenticator
    /// 80 bits: no collision among the terms of any realistic vocabulary (2^40 terms for even odds), and 16
    /// characters per index entry.
    static let termByteCount = 10

    init(_ key: SymmetricKey) throws {
        authenticator = try HMACSHA256Authenticator(key: key)
    }

    /// Content terms' blind forms (one MAC context for all of them).
    func terms(_ terms: [String]) throws -> [String] {
        try authenticator.authenticationCodes(for: terms.map { Array($0.utf8) }, prefix: Self.contentDomain).map {
            Self.base32($0.prefix(Self.termByteCount))
        }
    }

    /// A tag's blind form: its own domain, so a tag never equals a content term.
    func label(_ tag: String) throws -> String {
        Self.base32(
            try authenticator.authenticationCode(for: [Self.tagDomain, Array(tag.utf8)]).prefix(Self.termByteCount))
    }

    private static let contentDomain: [UInt8] = Array("term\u{0}".utf8)
    private static let tagDomain: [UInt8] = Array("tag\u{0}".utf8)

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// Lowercase RFC 4648 base32 without padding (10 bytes → 16 characters): letters and digits only, which is
    /// what the index's tokenizer keeps together.
    static func base32(_ bytes: ArraySlice<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int(buffer >> UInt32(bits - 5) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }
}
