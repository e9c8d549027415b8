internal import COpenSSL

/// HKDF with SHA-256 (RFC 5869) through OpenSSL's EVP_KDF interface.
public enum HKDFSHA256 {
    /// RFC 5869 §2.3: at most 255 blocks of output.
    public static let maximumOutputByteCount = 255 * SHA256.byteCount

    /// Derives `outputByteCount` bytes of key material. An empty salt means HashLen zero bytes (RFC 5869 §2.2).
    public static func deriveKey(
        from inputKeyMaterial: SymmetricKey,
        salt: some ContiguousBytes = [UInt8](),
        info: some ContiguousBytes,
        outputByteCount: Int
    ) throws -> SymmetricKey {
        guard (1...maximumOutputByteCount).contains(outputByteCount) else {
            throw CryptoError.invalidOutputLength(requested: outputByteCount, maximum: maximumOutputByteCount)
        }
        let context = try KDFContext(algorithm: OpenSSLAlgorithms.hkdf())
        let output = try SecureBytes(count: outputByteCount) { output in
            try inputKeyMaterial.withUnsafeBytes { ikm in
                try salt.withUnsafeBytes { salt in
                    try info.withUnsafeBytes { info in
                        try withNonNullBytes(ikm) { ikmPointer in
                            try withNonNullBytes(info) { infoPointer in
                                try OpenSSLError.check(
                                    COpenSSL_EVP_KDF_derive_hkdf_sha256(
                                        context.pointer,
                                        ikmPointer, ikm.count,
                                        bytes(salt), salt.count,
                                        infoPointer, info.count,
                                        mutableBytes(output, at: 0), output.count),
                                    "EVP_KDF_derive(HKDF-SHA256)")
                            }
                        }
                    }
                }
            }
        }
        return SymmetricKey(secureBytes: output)
    }

    /// Derives bytes that are public by design (a key's fingerprint, an identifier): plain bytes, not a key.
    public static func derivePublicBytes(
        from inputKeyMaterial: SymmetricKey, salt: some ContiguousBytes = [UInt8](), info: some ContiguousBytes,
        outputByteCount: Int
    ) throws -> [UInt8] {
        try deriveKey(from: inputKeyMaterial, salt: salt, info: info, outputByteCount: outputByteCount)
            .withUnsafeBytes { Array($0) }
    }
}
