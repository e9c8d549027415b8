internal import COpenSSL

/// AES-256-GCM with 96-bit nonces and 128-bit tags, and nothing else: any other key, nonce or tag size is refused.
public enum AES256GCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// A 96-bit GCM nonce.
    public struct Nonce: Sendable, Equatable {
        public let bytes: [UInt8]

        public init(bytes: some Collection<UInt8>) throws {
            guard bytes.count == AES256GCM.nonceByteCount else {
                throw CryptoError.incorrectNonceSize(expected: AES256GCM.nonceByteCount, actual: bytes.count)
            }
            self.bytes = Array(bytes)
        }

        /// A nonce from the CSPRNG. With random nonces one key may seal at most 2^32 messages (NIST SP 800-38D);
        /// the key hierarchy counts encryptions and rotates data keys well before that bound.
        public static func random() throws -> Nonce {
            try Nonce(bytes: SecureRandom.bytes(count: AES256GCM.nonceByteCount))
        }
    }

    /// Nonce, ciphertext and tag as produced by `seal`.
    public struct SealedBox: Sendable, Equatable {
        public let nonce: Nonce
        public let ciphertext: [UInt8]
        public let tag: [UInt8]

        public init(nonce: Nonce, ciphertext: [UInt8], tag: [UInt8]) throws {
            guard tag.count == AES256GCM.tagByteCount else {
                throw CryptoError.incorrectTagSize(expected: AES256GCM.tagByteCount, actual: tag.count)
            }
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }
    }

    /// Encrypts `plaintext` and authenticates it together with `associatedData`.
    ///
    /// - Parameter nonce: leave `nil` for a fresh random nonce. A fixed nonce is for known-answer tests only:
    ///   reusing a nonce under one key destroys GCM's confidentiality and authenticity.
    public static func seal(
        _ plaintext: some ContiguousBytes,
        using key: SymmetricKey,
        nonce: Nonce? = nil,
        authenticating associatedData: some ContiguousBytes = [UInt8]()
    ) throws -> SealedBox {
        let nonce = try nonce ?? Nonce.random()
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        let ciphertext = try plaintext.withUnsafeBytes { plaintext throws in
            try associatedData.withUnsafeBytes { associatedData throws in
                var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
                try ciphertext.withUnsafeMutableBytes { output throws in
                    try tag.withUnsafeMutableBytes { tagOutput throws in
                        try nonce.bytes.withUnsafeBytes { nonceBytes throws in
                            try seal(
                                plaintext, key: key, nonce: nonceBytes, associatedData: [associatedData],
                                into: output, tag: tagOutput)
                        }
                    }
                }
                return ciphertext
            }
        }
        return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Decrypts and verifies `box`; throws `authenticationFailure` if anything, including `associatedData`, differs.
    public static func open(
        _ box: SealedBox,
        using key: SymmetricKey,
        authenticating associatedData: some ContiguousBytes = [UInt8]()
    ) throws -> [UInt8] {
        try box.ciphertext.withUnsafeBytes { ciphertext throws in
            try associatedData.withUnsafeBytes { associatedData throws in
                try box.nonce.bytes.withUnsafeBytes { nonce throws in
                    try box.tag.withUnsafeBytes { tag throws in
                        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
                        try plaintext.withUnsafeMutableBytes { output throws in
                            try open(
                                ciphertext, key: key, nonce: nonce, tag: tag, associatedData: [associatedData],
                                into: output)
                        }
                        return plaintext
                    }
                }
            }
        }
    }

    // MARK: - Buffer-level operations shared with the envelope

    /// OpenSSL takes `int` lengths; longer inputs are fed in chunks of this size.
    private static let chunkByteCount = 1 << 30

    static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        associatedData: [UnsafeRawBufferPointer],
        into output: UnsafeMutableRawBufferPointer,
        tag: UnsafeMutableRawBufferPointer
    ) throws {
        try seal(
            plaintext, context: initialise(encrypting: true, key: key, nonce: nonce), associatedData: associatedData,
            into: output, tag: tag)
    }

    /// Seals on a context that already has its key and nonce set.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        context: CipherContext,
        associatedData: [UnsafeRawBufferPointer],
        into output: UnsafeMutableRawBufferPointer,
        tag: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(output.count >= plaintext.count && tag.count == tagByteCount)
        let offset = try feed(context, associatedData: associatedData, input: plaintext, into: output)
        var written: Int32 = 0
        try OpenSSLError.check(
            EVP_EncryptFinal_ex(context.pointer, mutableBytes(output, at: offset), &written), "EVP_EncryptFinal_ex")
        try OpenSSLError.check(
            COpenSSL_EVP_CIPHER_CTX_get_gcm_tag(context.pointer, mutableBytes(tag, at: 0), Int32(tagByteCount)),
            "EVP_CTRL_GCM_GET_TAG")
    }

    static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer,
        associatedData: [UnsafeRawBufferPointer],
        into output: UnsafeMutableRawBufferPointer
    ) throws {
        try open(
            ciphertext, context: initialise(encrypting: false, key: key, nonce: nonce), tag: tag,
            associatedData: associatedData, into: output)
    }

    /// Opens on a context that already has its key and nonce set.
    static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        context: CipherContext,
        tag: UnsafeRawBufferPointer,
        associatedData: [UnsafeRawBufferPointer],
        into output: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(output.count >= ciphertext.count)
        guard tag.count == tagByteCount else {
            throw CryptoError.incorrectTagSize(expected: tagByteCount, actual: tag.count)
        }
        let offset = try feed(context, associatedData: associatedData, input: ciphertext, into: output)
        var written: Int32 = 0
        try OpenSSLError.check(
            COpenSSL_EVP_CIPHER_CTX_set_gcm_tag(context.pointer, bytes(tag), Int32(tagByteCount)),
            "EVP_CTRL_GCM_SET_TAG")
        guard EVP_DecryptFinal_ex(context.pointer, mutableBytes(output, at: offset), &written) == 1 else {
            // Unauthenticated plaintext must never reach the caller.
            OPENSSL_cleanse(output.baseAddress, output.count)
            OpenSSLError.clearQueue()
            throw CryptoError.authenticationFailure
        }
    }

    /// Authenticates `associatedData`, then encrypts or decrypts `input` (the context knows which) into `output`.
    /// Returns how many bytes were written.
    private static func feed(
        _ context: CipherContext,
        associatedData: [UnsafeRawBufferPointer],
        input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        var written: Int32 = 0
        for chunk in associatedData.flatMap(chunks(of:)) {
            try OpenSSLError.check(
                EVP_CipherUpdate(context.pointer, nil, &written, bytes(chunk), Int32(chunk.count)),
                "EVP_CipherUpdate(aad)")
        }
        var offset = 0
        for chunk in chunks(of: input) {
            try OpenSSLError.check(
                EVP_CipherUpdate(
                    context.pointer, mutableBytes(output, at: offset), &written, bytes(chunk), Int32(chunk.count)),
                "EVP_CipherUpdate")
            offset += Int(written)
        }
        return offset
    }

    private static func initialise(
        encrypting: Bool, key: SymmetricKey, nonce: UnsafeRawBufferPointer
    ) throws -> CipherContext {
        guard key.byteCount == keyByteCount else {
            throw CryptoError.incorrectKeySize(expected: keyByteCount, actual: key.byteCount)
        }
        guard nonce.count == nonceByteCount else {
            throw CryptoError.incorrectNonceSize(expected: nonceByteCount, actual: nonce.count)
        }
        let context = try CipherContext()
        let cipher = try OpenSSLAlgorithms.aes256GCM()
        // GCM's default IV length in OpenSSL is 96 bits, the only size accepted above.
        let result = key.withUnsafeBytes { key in
            encrypting
                ? EVP_EncryptInit_ex2(context.pointer, cipher, bytes(key), bytes(nonce), nil)
                : EVP_DecryptInit_ex2(context.pointer, cipher, bytes(key), bytes(nonce), nil)
        }
        try OpenSSLError.check(result, encrypting ? "EVP_EncryptInit_ex2" : "EVP_DecryptInit_ex2")
        return context
    }

    private static func chunks(of buffer: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        guard buffer.count > chunkByteCount else { return buffer.count > 0 ? [buffer] : [] }
        return stride(from: 0, to: buffer.count, by: chunkByteCount).map { start in
            UnsafeRawBufferPointer(rebasing: buffer[start..<Swift.min(start + chunkByteCount, buffer.count)])
        }
    }
}
