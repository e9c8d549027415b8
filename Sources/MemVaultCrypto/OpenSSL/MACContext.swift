internal import COpenSSL

/// Owns one `EVP_MAC_CTX`. OpenSSL wipes the keyed state when it is freed.
final class MACContext {
    let pointer: OpaquePointer

    init(algorithm: OpaquePointer) throws {
        guard let pointer = EVP_MAC_CTX_new(algorithm) else { throw OpenSSLError.failure("EVP_MAC_CTX_new") }
        self.pointer = pointer
    }

    /// A copy carrying the same keyed state, so a key is set up once and reused for many messages.
    init(duplicating other: MACContext) throws {
        guard let pointer = EVP_MAC_CTX_dup(other.pointer) else { throw OpenSSLError.failure("EVP_MAC_CTX_dup") }
        self.pointer = pointer
    }

    deinit {
        EVP_MAC_CTX_free(pointer)
    }
}
