import MemVaultCrypto

/// Turns search terms into blind terms: keyed hashes (HMAC-SHA256, truncated to 96 bits, hex) under a key derived
/// from the owner's data key secret, one key per subject (or per tenant for shared cubes). The index stores only
/// blind terms, so equal terms are equal within one owner's index and unrelated across owners; without the key
/// a blind term cannot be tested against a guess. Destroying the owner's keys makes its terms unlinkable.
struct BlindIndexKey: Sendable {
    private let authenticator: HMACSHA256Authenticator
    /// 96 bits: no collision among the terms of any realistic vocabulary, and short index entries.
    static let termByteCount = 12

    init(_ key: SymmetricKey) throws {
        authenticator = try HMACSHA256Authenticator(key: key)
    }

    /// A content term's blind form.
    func term(_ term: String) throws -> String { try blind(Self.contentDomain, term) }

    /// A tag's blind form: its own domain, so a tag never equals a content term.
    func label(_ tag: String) throws -> String { try blind(Self.tagDomain, tag) }

    private static let contentDomain: [UInt8] = Array("term\u{0}".utf8)
    private static let tagDomain: [UInt8] = Array("tag\u{0}".utf8)

    private func blind(_ domain: [UInt8], _ value: String) throws -> String {
        let code = try authenticator.authenticationCode(for: [domain, Array(value.utf8)])
        return Hex.encode(code.prefix(Self.termByteCount))
    }
}
