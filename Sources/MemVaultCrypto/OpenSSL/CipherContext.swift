internal import COpenSSL

/// Owns one `EVP_CIPHER_CTX`; freed (and wiped by OpenSSL, which cleanses the key schedule) in `deinit`.
///
/// Sendable only so that `KeyedCipherContexts` can hand a context from one caller to the next through its lock: a
/// context is used by one thread at a time, never concurrently.
final class CipherContext: @unchecked Sendable {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw OpenSSLError.failure("EVP_CIPHER_CTX_new") }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }
}
