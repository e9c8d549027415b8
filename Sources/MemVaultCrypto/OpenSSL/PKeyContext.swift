internal import COpenSSL

/// Owns one `EVP_PKEY_CTX`, used for X25519 key agreement.
final class PKeyContext {
    let pointer: OpaquePointer

    init(key: PKey) throws {
        guard let pointer = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else {
            throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_pkey")
        }
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_CTX_free(pointer)
    }
}
