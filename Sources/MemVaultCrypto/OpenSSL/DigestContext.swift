internal import COpenSSL

/// Owns one `EVP_MD_CTX`, used for hashing and for Ed25519 one-shot signing and verification.
final class DigestContext {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_MD_CTX_new() else { throw OpenSSLError.failure("EVP_MD_CTX_new") }
        self.pointer = pointer
    }

    deinit {
        EVP_MD_CTX_free(pointer)
    }
}
