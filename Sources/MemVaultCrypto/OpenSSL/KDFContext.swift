internal import COpenSSL

/// Owns one `EVP_KDF_CTX`. OpenSSL wipes the input key material it copied when the context is freed.
final class KDFContext {
    let pointer: OpaquePointer

    init(algorithm: OpaquePointer) throws {
        guard let pointer = EVP_KDF_CTX_new(algorithm) else { throw OpenSSLError.failure("EVP_KDF_CTX_new") }
        self.pointer = pointer
    }

    deinit {
        EVP_KDF_CTX_free(pointer)
    }
}
