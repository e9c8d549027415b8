internal import COpenSSL

/// X25519 key agreement (RFC 7748), for sealing bundles to a recipient deployment.
public enum X25519 {
    public static let keyByteCount = 32

    /// A private key: 32 random bytes, kept in zeroing storage.
    public struct PrivateKey: Sendable {
        /// The raw scalar, for storing the key wrapped under another key.
        public let rawRepresentation: SymmetricKey
        public let publicKey: PublicKey

        /// A new key from OpenSSL's private CSPRNG.
        public init() throws {
            try self.init(rawRepresentation: SymmetricKey.random(byteCount: X25519.keyByteCount))
        }

        public init(rawRepresentation: SymmetricKey) throws {
            guard rawRepresentation.byteCount == X25519.keyByteCount else {
                throw CryptoError.incorrectKeySize(expected: X25519.keyByteCount, actual: rawRepresentation.byteCount)
            }
            self.rawRepresentation = rawRepresentation
            let key = try rawRepresentation.withUnsafeBytes { try PKey.x25519Private($0) }
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        /// The shared secret with `peer`. OpenSSL refuses an all-zero result (a low-order peer key, RFC 7748 §6.1),
        /// so a contributory secret is guaranteed: such a peer key is `invalidPublicKey`.
        public func sharedSecret(with peer: PublicKey) throws -> SymmetricKey {
            let key = try rawRepresentation.withUnsafeBytes { try PKey.x25519Private($0) }
            let peerKey = try peer.rawRepresentation.withUnsafeBytes { try PKey.x25519Public($0) }
            let context = try PKeyContext(key: key)
            try OpenSSLError.check(EVP_PKEY_derive_init(context.pointer), "EVP_PKEY_derive_init")
            guard EVP_PKEY_derive_set_peer(context.pointer, peerKey.pointer) == 1 else {
                OpenSSLError.clearQueue()
                throw CryptoError.invalidPublicKey
            }
            let secret = try SecureBytes(count: X25519.keyByteCount) { output in
                var length = output.count
                guard EVP_PKEY_derive(context.pointer, mutableBytes(output, at: 0), &length) == 1,
                    length == X25519.keyByteCount
                else {
                    OpenSSLError.clearQueue()
                    throw CryptoError.invalidPublicKey
                }
            }
            return SymmetricKey(secureBytes: secret)
        }
    }

    /// A public key: the 32-byte u-coordinate.
    public struct PublicKey: Sendable, Hashable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: some Collection<UInt8>) throws {
            guard rawRepresentation.count == X25519.keyByteCount else { throw CryptoError.invalidPublicKey }
            self.rawRepresentation = Array(rawRepresentation)
        }
    }
}
