internal import COpenSSL

/// Algorithm implementations fetched from OpenSSL's default provider once per process.
///
/// Fetching is comparatively slow (a provider lookup under a lock); the fetched objects are immutable and
/// reference-counted, and OpenSSL documents them as safe to share between threads. That is why these may be
/// `nonisolated(unsafe) static let`: they are written once, by Swift's thread-safe lazy initialisation, and only read.
enum OpenSSLAlgorithms {
    nonisolated(unsafe) private static let fetchedAES256GCM = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)
    nonisolated(unsafe) private static let fetchedSHA256 = EVP_MD_fetch(nil, "SHA2-256", nil)
    nonisolated(unsafe) private static let fetchedHMAC = EVP_MAC_fetch(nil, "HMAC", nil)
    nonisolated(unsafe) private static let fetchedHKDF = EVP_KDF_fetch(nil, "HKDF", nil)

    static func aes256GCM() throws -> OpaquePointer {
        try require(fetchedAES256GCM, "EVP_CIPHER_fetch(AES-256-GCM)")
    }

    static func sha256() throws -> OpaquePointer {
        try require(fetchedSHA256, "EVP_MD_fetch(SHA2-256)")
    }

    static func hmac() throws -> OpaquePointer {
        try require(fetchedHMAC, "EVP_MAC_fetch(HMAC)")
    }

    static func hkdf() throws -> OpaquePointer {
        try require(fetchedHKDF, "EVP_KDF_fetch(HKDF)")
    }

    private static func require(_ algorithm: OpaquePointer?, _ operation: String) throws -> OpaquePointer {
        guard let algorithm else { throw OpenSSLError.failure(operation) }
        return algorithm
    }
}
