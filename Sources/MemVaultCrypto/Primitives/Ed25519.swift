internal import COpenSSL

/// Ed25519 signatures (RFC 8032) for checkpoints and signed bundles.
public enum Ed25519 {
    public static let seedByteCount = 32
    public static let publicKeyByteCount = 32
    public static let signatureByteCount = 64

    /// A signing key: the 32-byte seed, kept in zeroing storage.
    public struct PrivateKey: Sendable {
        /// The seed, for storing the key wrapped under another key.
        public let seed: SymmetricKey
        public let publicKey: PublicKey

        /// A new key from OpenSSL's private CSPRNG.
        public init() throws {
            try self.init(seed: SymmetricKey.random(byteCount: Ed25519.seedByteCount))
        }

        /// The key for a stored 32-byte seed.
        public init(seed: SymmetricKey) throws {
            guard seed.byteCount == Ed25519.seedByteCount else {
                throw CryptoError.incorrectKeySize(expected: Ed25519.seedByteCount, actual: seed.byteCount)
            }
            self.seed = seed
            let key = try seed.withUnsafeBytes { try PKey.ed25519Private(seed: $0) }
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        public func signature(for message: some ContiguousBytes) throws -> [UInt8] {
            let key = try seed.withUnsafeBytes { try PKey.ed25519Private(seed: $0) }
            let context = try DigestContext()
            try OpenSSLError.check(
                EVP_DigestSignInit_ex(context.pointer, nil, nil, nil, nil, key.pointer, nil), "EVP_DigestSignInit_ex")
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            var length = signature.count
            try message.withUnsafeBytes { message in
                try withNonNullBytes(message) { messagePointer in
                    try OpenSSLError.check(
                        EVP_DigestSign(context.pointer, &signature, &length, messagePointer, message.count),
                        "EVP_DigestSign")
                }
            }
            return signature
        }
    }

    /// A verification key: 32 bytes, the encoded curve point.
    public struct PublicKey: Sendable, Hashable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: some Collection<UInt8>) throws {
            guard rawRepresentation.count == Ed25519.publicKeyByteCount else { throw CryptoError.invalidPublicKey }
            self.rawRepresentation = Array(rawRepresentation)
        }

        /// True only for a 64-byte canonical signature by this key over `message` (OpenSSL rejects S ≥ L).
        public func isValidSignature(_ signature: some ContiguousBytes, for message: some ContiguousBytes) -> Bool {
            defer { OpenSSLError.clearQueue() }
            return signature.withUnsafeBytes { signature in
                message.withUnsafeBytes { message in
                    guard signature.count == Ed25519.signatureByteCount,
                        let key = try? rawRepresentation.withUnsafeBytes({ try PKey.ed25519Public($0) }),
                        let context = try? DigestContext(),
                        EVP_DigestVerifyInit_ex(context.pointer, nil, nil, nil, nil, key.pointer, nil) == 1
                    else { return false }
                    return withNonNullBytes(message) { messagePointer in
                        EVP_DigestVerify(
                            context.pointer, bytes(signature), signature.count, messagePointer, message.count) == 1
                    }
                }
            }
        }
    }
}
