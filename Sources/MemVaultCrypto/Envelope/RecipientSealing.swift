/// Public-key encryption of one message to one recipient, as HPKE's base mode does it (RFC 9180, single shot):
/// an ephemeral X25519 key agrees a secret with the recipient's key, HKDF-SHA256 turns it into an AES-256-GCM key
/// bound to both public keys and to the caller's context, and AES-256-GCM seals the message with its associated
/// data. Only the holder of the recipient's private key can open it; the ephemeral key is forgotten after sealing.
public enum RecipientSealing {
    /// What a recipient needs besides its private key: the sender's ephemeral public key and the sealed box.
    public struct Sealed: Sendable, Equatable {
        public let ephemeralPublicKey: X25519.PublicKey
        public let box: AES256GCM.SealedBox

        public init(ephemeralPublicKey: X25519.PublicKey, box: AES256GCM.SealedBox) {
            self.ephemeralPublicKey = ephemeralPublicKey
            self.box = box
        }
    }

    /// Seals `plaintext` to `recipient`. `context` names what the message is (it enters the key derivation, so a
    /// message sealed for one use cannot be opened as another); `associatedData` is authenticated, not encrypted.
    public static func seal(
        _ plaintext: some ContiguousBytes, to recipient: X25519.PublicKey, context: [UInt8],
        authenticating associatedData: some ContiguousBytes
    ) throws -> Sealed {
        let ephemeral = try X25519.PrivateKey()
        let key = try messageKey(
            secret: ephemeral.sharedSecret(with: recipient), ephemeral: ephemeral.publicKey, recipient: recipient,
            context: context)
        return Sealed(
            ephemeralPublicKey: ephemeral.publicKey,
            box: try AES256GCM.seal(plaintext, using: key, authenticating: associatedData))
    }

    /// Opens what `seal` made for this recipient; `authenticationFailure` for anything else (another recipient,
    /// another context, changed bytes or associated data).
    public static func open(
        _ sealed: Sealed, with recipient: X25519.PrivateKey, context: [UInt8],
        authenticating associatedData: some ContiguousBytes
    ) throws -> [UInt8] {
        let secret: SymmetricKey
        do {
            secret = try recipient.sharedSecret(with: sealed.ephemeralPublicKey)
        } catch CryptoError.invalidPublicKey {
            throw CryptoError.authenticationFailure
        }
        let key = try messageKey(
            secret: secret, ephemeral: sealed.ephemeralPublicKey, recipient: recipient.publicKey, context: context)
        return try AES256GCM.open(sealed.box, using: key, authenticating: associatedData)
    }

    private static func messageKey(
        secret: SymmetricKey, ephemeral: X25519.PublicKey, recipient: X25519.PublicKey, context: [UInt8]
    ) throws -> SymmetricKey {
        try HKDFSHA256.deriveKey(
            from: secret, salt: ephemeral.rawRepresentation + recipient.rawRepresentation,
            info: Array("MemVault recipient sealing v1".utf8) + [0] + context,
            outputByteCount: AES256GCM.keyByteCount)
    }
}
