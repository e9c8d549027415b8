internal import COpenSSL

/// Owns one `EVP_CIPHER_CTX`; freed (and wiped by OpenSSL, which cleanses the key schedule) in `deinit`.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw OpenSSLError.failure("EVP_CIPHER_CTX_new") }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }
}
