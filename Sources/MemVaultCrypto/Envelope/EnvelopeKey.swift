/// A data key prepared for sealing and opening envelopes.
///
/// GCM alone is not key-committing: one ciphertext can be made to decrypt under two different keys. So the data key
/// is split with HKDF into an encryption key and a commitment key, and every envelope carries an HMAC of its header
/// and associated data under the commitment key. Both subkeys are derived once per data key, not per message.
public struct EnvelopeKey: Sendable {
    /// Names the key in the envelope header, e.g. a key-hierarchy identifier; never secret, never personal data.
    public let keyID: String
    public let version: UInt32
    /// AES-256-GCM contexts keyed with the encryption subkey, reused across messages.
    let cipherContexts: KeyedCipherContexts
    let commitment: HMACSHA256Authenticator

    public static let maximumKeyIDByteCount = 64

    public init(keyID: String, version: UInt32, dataKey: SymmetricKey) throws {
        guard dataKey.byteCount == AES256GCM.keyByteCount else {
            throw CryptoError.incorrectKeySize(expected: AES256GCM.keyByteCount, actual: dataKey.byteCount)
        }
        try Self.validate(keyID: keyID)
        self.keyID = keyID
        self.version = version
        cipherContexts = try KeyedCipherContexts(
            key: HKDFSHA256.deriveKey(
                from: dataKey, salt: Self.salt, info: Array("encryption".utf8), outputByteCount: AES256GCM.keyByteCount)
        )
        let commitmentKey = try HKDFSHA256.deriveKey(
            from: dataKey, salt: Self.salt, info: Array("commitment".utf8), outputByteCount: HMACSHA256.byteCount)
        commitment = try HMACSHA256Authenticator(key: commitmentKey)
    }

    /// Domain separation: keys derived for envelopes are never the keys derived for anything else.
    private static let salt = Array("MemVault envelope v1".utf8)

    /// Key ids are short printable ASCII without spaces, so a header is unambiguous and safe to log.
    static func validate(keyID: String) throws {
        let utf8 = Array(keyID.utf8)
        guard (1...maximumKeyIDByteCount).contains(utf8.count), utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            throw CryptoError.malformedEnvelope(
                reason: "key id must be 1 to \(maximumKeyIDByteCount) printable ASCII characters without spaces")
        }
    }
}

extension EnvelopeKey: CustomStringConvertible {
    public var description: String { "EnvelopeKey(\(keyID) v\(version), redacted)" }
}
