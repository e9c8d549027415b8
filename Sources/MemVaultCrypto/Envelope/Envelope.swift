/// MemVault's versioned ciphertext envelope (format 1).
///
/// ```
/// offset      size  field
/// 0           2     magic "MV"
/// 2           1     format version (1)
/// 3           1     algorithm (1: AES-256-GCM, HKDF-SHA256 subkeys, HMAC-SHA256 context commitment)
/// 4           1     key id length L (1...64)
/// 5           L     key id (printable ASCII)
/// 5+L         4     key version (big-endian)
/// 9+L         12    nonce (random)
/// 21+L        32    commitment = HMAC(commitment key, header ‖ associated data)
/// 53+L        n     ciphertext
/// 53+L+n      16    tag; GCM authenticates header ‖ associated data
/// ```
/// The header (magic through nonce) is authenticated twice: by the commitment and by GCM. The associated data is
/// never stored in the envelope; the caller rebuilds it from where the envelope is found (tenant, cube, memory, …),
/// so an envelope moved anywhere else fails to open.
public struct Envelope: Sendable, Equatable {
    public static let formatVersion: UInt8 = 1
    public static let algorithm: UInt8 = 1
    static let magic: [UInt8] = [0x4D, 0x56]
    static let fixedHeaderByteCount = 5
    static let keyVersionByteCount = 4

    /// The serialised envelope, as stored.
    public let bytes: [UInt8]
    public let keyID: String
    public let keyVersion: UInt32
    private let headerByteCount: Int

    /// Bytes an envelope adds to a plaintext sealed under a key id of `keyIDByteCount` bytes.
    public static func overhead(keyIDByteCount: Int) -> Int {
        fixedHeaderByteCount + keyIDByteCount + keyVersionByteCount + AES256GCM.nonceByteCount
            + HMACSHA256.byteCount + AES256GCM.tagByteCount
    }

    /// Parses the structure of stored bytes; nothing is authenticated until `open`.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= Self.fixedHeaderByteCount, Array(bytes[0..<2]) == Self.magic else {
            throw CryptoError.malformedEnvelope(reason: "missing the MemVault envelope magic")
        }
        guard bytes[2] == Self.formatVersion, bytes[3] == Self.algorithm else {
            throw CryptoError.unsupportedEnvelope(formatVersion: bytes[2], algorithm: bytes[3])
        }
        let keyIDLength = Int(bytes[4])
        guard bytes.count >= Self.overhead(keyIDByteCount: keyIDLength) else {
            throw CryptoError.malformedEnvelope(reason: "truncated: \(bytes.count) bytes")
        }
        let keyIDBytes = bytes[Self.fixedHeaderByteCount..<(Self.fixedHeaderByteCount + keyIDLength)]
        let keyID = String(decoding: keyIDBytes, as: UTF8.self)
        try EnvelopeKey.validate(keyID: keyID)
        let versionOffset = Self.fixedHeaderByteCount + keyIDLength
        self.bytes = bytes
        self.keyID = keyID
        self.keyVersion = bytes[versionOffset..<(versionOffset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
        self.headerByteCount = versionOffset + Self.keyVersionByteCount + AES256GCM.nonceByteCount
    }

    /// Seals `plaintext` under `key` with a fresh random nonce, bound to `associatedData`.
    public static func seal(
        _ plaintext: some ContiguousBytes, with key: EnvelopeKey, associatedData: some ContiguousBytes
    ) throws -> Envelope {
        try plaintext.withUnsafeBytes { plaintext in
            try associatedData.withUnsafeBytes { associatedData in
                try seal(plaintext, key: key, associatedData: associatedData)
            }
        }
    }

    /// Seals several plaintexts under one key, each bound to its own associated data. The nonces are drawn from the
    /// random generator in one call for the whole batch rather than one per message.
    public static func seal(
        _ messages: [(plaintext: [UInt8], associatedData: [UInt8])], with key: EnvelopeKey
    ) throws -> [Envelope] {
        let nonces = try SecureRandom.bytes(count: AES256GCM.nonceByteCount * messages.count)
        return try nonces.withUnsafeBytes { nonces in
            try messages.enumerated().map { index, message in
                try message.plaintext.withUnsafeBytes { plaintext in
                    try message.associatedData.withUnsafeBytes { associatedData in
                        let start = index * AES256GCM.nonceByteCount
                        return try seal(
                            plaintext, key: key, associatedData: associatedData,
                            nonce: UnsafeRawBufferPointer(rebasing: nonces[start..<(start + AES256GCM.nonceByteCount)]))
                    }
                }
            }
        }
    }

    /// Seals a key (for wrapping), reading its bytes in place.
    public static func seal(
        secret: SymmetricKey, with key: EnvelopeKey, associatedData: some ContiguousBytes
    ) throws -> Envelope {
        try secret.withUnsafeBytes { plaintext in
            try associatedData.withUnsafeBytes { associatedData in
                try seal(plaintext, key: key, associatedData: associatedData)
            }
        }
    }

    /// Verifies and decrypts. Throws `authenticationFailure` for a wrong key, a wrong context or any modification.
    public func open(with key: EnvelopeKey, associatedData: some ContiguousBytes) throws -> [UInt8] {
        var plaintext = [UInt8](repeating: 0, count: ciphertextByteCount)
        try plaintext.withUnsafeMutableBytes { output in
            try associatedData.withUnsafeBytes { associatedData in
                try open(with: key, associatedData: associatedData, into: output)
            }
        }
        return plaintext
    }

    /// Verifies and decrypts a wrapped key straight into zeroing storage.
    public func openSecret(with key: EnvelopeKey, associatedData: some ContiguousBytes) throws -> SymmetricKey {
        let secret = try SecureBytes(count: ciphertextByteCount) { output in
            try associatedData.withUnsafeBytes { associatedData in
                try open(with: key, associatedData: associatedData, into: output)
            }
        }
        return SymmetricKey(secureBytes: secret)
    }

    // MARK: - Layout

    private var commitmentRange: Range<Int> { headerByteCount..<(headerByteCount + HMACSHA256.byteCount) }
    private var ciphertextRange: Range<Int> { commitmentRange.upperBound..<(bytes.count - AES256GCM.tagByteCount) }
    private var ciphertextByteCount: Int { ciphertextRange.count }

    private init(bytes: [UInt8], keyID: String, keyVersion: UInt32, headerByteCount: Int) {
        self.bytes = bytes
        self.keyID = keyID
        self.keyVersion = keyVersion
        self.headerByteCount = headerByteCount
    }

    /// Seals with a fresh random nonce (`nonce` nil), or with one drawn for it by a batch.
    private static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: EnvelopeKey, associatedData: UnsafeRawBufferPointer,
        nonce drawn: UnsafeRawBufferPointer? = nil
    ) throws -> Envelope {
        let keyID = Array(key.keyID.utf8)
        let headerByteCount = fixedHeaderByteCount + keyID.count + keyVersionByteCount + AES256GCM.nonceByteCount
        let ciphertextOffset = headerByteCount + HMACSHA256.byteCount
        let tagOffset = ciphertextOffset + plaintext.count
        // One allocation, written in place: header, nonce, commitment, ciphertext, tag.
        var output = [UInt8](repeating: 0, count: tagOffset + AES256GCM.tagByteCount)
        try output.withUnsafeMutableBytes { buffer in
            buffer.copyBytes(from: magic + [formatVersion, algorithm, UInt8(keyID.count)])
            var offset = fixedHeaderByteCount
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + keyID.count)]).copyBytes(from: keyID)
            offset += keyID.count
            buffer.storeBytes(of: key.version.bigEndian, toByteOffset: offset, as: UInt32.self)
            offset += keyVersionByteCount
            let nonce = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<headerByteCount])
            if let drawn { nonce.copyMemory(from: drawn) } else { try SecureRandom.fillPublic(nonce) }
            let header = UnsafeRawBufferPointer(rebasing: buffer[0..<headerByteCount])
            let commitment = try key.commitment.authenticationCode(for: [header, associatedData])
            UnsafeMutableRawBufferPointer(rebasing: buffer[headerByteCount..<ciphertextOffset]).copyBytes(
                from: commitment)
            try key.cipherContexts.withContext(encrypting: true, nonce: UnsafeRawBufferPointer(nonce)) { context in
                try AES256GCM.seal(
                    plaintext, context: context, associatedData: [header, associatedData],
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[ciphertextOffset..<tagOffset]),
                    tag: UnsafeMutableRawBufferPointer(rebasing: buffer[tagOffset...]))
            }
        }
        return Envelope(bytes: output, keyID: key.keyID, keyVersion: key.version, headerByteCount: headerByteCount)
    }

    private func open(
        with key: EnvelopeKey, associatedData: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws {
        guard key.keyID == keyID, key.version == keyVersion else {
            throw CryptoError.envelopeKeyMismatch(
                envelopeKey: "\(keyID) v\(keyVersion)", offeredKey: "\(key.keyID) v\(key.version)")
        }
        try bytes.withUnsafeBytes { buffer in
            let header = UnsafeRawBufferPointer(rebasing: buffer[0..<headerByteCount])
            let expected = try key.commitment.authenticationCode(for: [header, associatedData])
            guard ConstantTime.equals(UnsafeRawBufferPointer(rebasing: buffer[commitmentRange]), expected) else {
                throw CryptoError.authenticationFailure
            }
            let nonce = UnsafeRawBufferPointer(
                rebasing: buffer[(headerByteCount - AES256GCM.nonceByteCount)..<headerByteCount])
            try key.cipherContexts.withContext(encrypting: false, nonce: nonce) { context in
                try AES256GCM.open(
                    UnsafeRawBufferPointer(rebasing: buffer[ciphertextRange]), context: context,
                    tag: UnsafeRawBufferPointer(rebasing: buffer[(bytes.count - AES256GCM.tagByteCount)...]),
                    associatedData: [header, associatedData], into: output)
            }
        }
    }
}
