internal import COpenSSL

/// OpenSSL's CSPRNG. Public randomness (nonces) and private randomness (keys) come from separate DRBG instances,
/// so an attacker who sees many nonces learns nothing about the generator that made the keys.
public enum SecureRandom {
    /// Public random bytes, e.g. nonces and identifiers.
    public static func bytes(count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { buffer throws in try fillPublic(buffer) }
        return result
    }

    static func fillPublic(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        guard RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
            OpenSSLError.clearQueue()
            throw CryptoError.randomGenerationFailed
        }
    }

    static func fillPrivate(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        guard RAND_priv_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1
        else {
            OpenSSLError.clearQueue()
            throw CryptoError.randomGenerationFailed
        }
    }
}
