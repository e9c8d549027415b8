import MemVaultCrypto
import Testing

@Suite("Envelope")
struct EnvelopeTests {
    let dataKey = SymmetricKey(copying: (0..<32).map { UInt8($0) })
    let context = Array("tenant=acme;cube=c1;memory=m1;keyVersion=3".utf8)

    private func key(_ id: String = "sub_1", version: UInt32 = 3, dataKey: SymmetricKey? = nil) throws -> EnvelopeKey {
        try EnvelopeKey(keyID: id, version: version, dataKey: dataKey ?? self.dataKey)
    }

    @Test("seal then open returns the plaintext; the layout is as documented", arguments: [0, 1, 16, 1024, 65536])
    func roundTrip(length: Int) throws {
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let envelope = try Envelope.seal(plaintext, with: key(), associatedData: context)
        #expect(envelope.bytes.count == length + Envelope.overhead(keyIDByteCount: 5))
        #expect(Array(envelope.bytes.prefix(4)) == [0x4D, 0x56, 1, 1])
        let parsed = try Envelope(bytes: envelope.bytes)
        #expect(parsed.keyID == "sub_1" && parsed.keyVersion == 3)
        #expect(try parsed.open(with: key(), associatedData: context) == plaintext)
    }

    @Test("two seals of one plaintext differ (fresh nonce) and the plaintext does not appear")
    func freshNonces() throws {
        let plaintext = Array("a unique marker 8d1f2c".utf8)
        let first = try Envelope.seal(plaintext, with: key(), associatedData: context)
        let second = try Envelope.seal(plaintext, with: key(), associatedData: context)
        #expect(first.bytes != second.bytes)
        #expect(!first.bytes.contains(subsequence: plaintext))
    }

    @Test("flipping any single bit of the envelope makes it fail to open")
    func everyBitFlipFails() throws {
        let envelope = try Envelope.seal(Array("a memory worth protecting".utf8), with: key(), associatedData: context)
        var opened = 0
        for bit in 0..<(envelope.bytes.count * 8) {
            var bytes = envelope.bytes
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            // Parsing may already reject a damaged header; if it parses, the right key must still fail to open it.
            if let damaged = try? Envelope(bytes: bytes),
                (try? damaged.open(with: key(damaged.keyID, version: damaged.keyVersion), associatedData: context))
                    != nil
            {
                opened += 1
            }
        }
        #expect(opened == 0)
    }

    @Test("flipping any single bit of the associated data makes it fail to open")
    func everyAssociatedDataBitFlipFails() throws {
        let envelope = try Envelope.seal(Array("content".utf8), with: key(), associatedData: context)
        for bit in 0..<(context.count * 8) {
            var other = context
            other[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: CryptoError.authenticationFailure) { try envelope.open(with: key(), associatedData: other) }
        }
        #expect(throws: CryptoError.authenticationFailure) { try envelope.open(with: key(), associatedData: [UInt8]()) }
    }

    @Test("a different key with the same id fails authentication; another id or version is named in the error")
    func wrongKeys() throws {
        let envelope = try Envelope.seal(Array("content".utf8), with: key(), associatedData: context)
        let otherKey = try key(dataKey: SymmetricKey.random())
        #expect(throws: CryptoError.authenticationFailure) {
            try envelope.open(with: otherKey, associatedData: context)
        }
        #expect(throws: CryptoError.envelopeKeyMismatch(envelopeKey: "sub_1 v3", offeredKey: "sub_1 v4")) {
            try envelope.open(with: key(version: 4), associatedData: context)
        }
    }

    @Test("the commitment binds the key: a forged commitment cannot be made without the commitment key")
    func commitmentIsChecked() throws {
        var bytes = try Envelope.seal(Array("content".utf8), with: key(), associatedData: context).bytes
        let commitmentStart = 5 + 5 + 4 + 12
        for index in commitmentStart..<(commitmentStart + 32) {
            var damaged = bytes
            damaged[index] ^= 0x80
            #expect(throws: CryptoError.authenticationFailure) {
                try Envelope(bytes: damaged).open(with: key(), associatedData: context)
            }
        }
        bytes[2] = 2
        #expect(throws: CryptoError.unsupportedEnvelope(formatVersion: 2, algorithm: 1)) { try Envelope(bytes: bytes) }
    }

    @Test(
        "malformed bytes are refused with a reason", arguments: [[], [0x4D], [0x4D, 0x56, 1, 1, 5], [0, 0, 1, 1, 1]])
    func malformed(bytes: [UInt8]) {
        #expect(throws: CryptoError.self) { try Envelope(bytes: bytes) }
    }

    @Test("wrapped secrets open into key storage")
    func wrappedSecrets() throws {
        let secret = try SymmetricKey.random()
        let wrapped = try Envelope.seal(secret: secret, with: key(), associatedData: context)
        #expect(try wrapped.openSecret(with: key(), associatedData: context) == secret)
        #expect(throws: CryptoError.authenticationFailure) {
            try wrapped.openSecret(with: key(), associatedData: Array("elsewhere".utf8))
        }
    }

    @Test(
        "key ids must be short printable ASCII", arguments: ["", "has space", String(repeating: "x", count: 65), "é"])
    func keyIDValidation(id: String) {
        #expect(throws: CryptoError.self) { try EnvelopeKey(keyID: id, version: 1, dataKey: dataKey) }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return subsequence.isEmpty }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}
