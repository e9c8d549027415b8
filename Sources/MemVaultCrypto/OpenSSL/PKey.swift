internal import COpenSSL

/// Owns one `EVP_PKEY` (an Ed25519 or X25519 public or private key). OpenSSL wipes private key bytes when it is
/// freed.
final class PKey {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    static func ed25519Private(seed: UnsafeRawBufferPointer) throws -> PKey {
        try privateKey(COpenSSL_EVP_PKEY_ED25519(), seed)
    }

    static func ed25519Public(_ bytes: UnsafeRawBufferPointer) throws -> PKey {
        try publicKey(COpenSSL_EVP_PKEY_ED25519(), bytes)
    }

    static func x25519Private(_ bytes: UnsafeRawBufferPointer) throws -> PKey {
        try privateKey(COpenSSL_EVP_PKEY_X25519(), bytes)
    }

    static func x25519Public(_ bytes: UnsafeRawBufferPointer) throws -> PKey {
        try publicKey(COpenSSL_EVP_PKEY_X25519(), bytes)
    }

    private static func privateKey(_ type: Int32, _ bytes: UnsafeRawBufferPointer) throws -> PKey {
        guard
            let pointer = EVP_PKEY_new_raw_private_key(
                type, nil, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        else { throw OpenSSLError.failure("EVP_PKEY_new_raw_private_key") }
        return PKey(pointer: pointer)
    }

    private static func publicKey(_ type: Int32, _ bytes: UnsafeRawBufferPointer) throws -> PKey {
        guard
            let pointer = EVP_PKEY_new_raw_public_key(
                type, nil, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        else {
            OpenSSLError.clearQueue()
            throw CryptoError.invalidPublicKey
        }
        return PKey(pointer: pointer)
    }

    func rawPublicKey() throws -> [UInt8] {
        var length = 0
        try OpenSSLError.check(EVP_PKEY_get_raw_public_key(pointer, nil, &length), "EVP_PKEY_get_raw_public_key")
        var bytes = [UInt8](repeating: 0, count: length)
        try OpenSSLError.check(
            EVP_PKEY_get_raw_public_key(pointer, &bytes, &length), "EVP_PKEY_get_raw_public_key")
        return Array(bytes.prefix(length))
    }

    deinit {
        EVP_PKEY_free(pointer)
    }
}
