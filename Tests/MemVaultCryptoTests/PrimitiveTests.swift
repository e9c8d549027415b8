import MemVaultCrypto
import Testing

@Suite("Primitives")
struct PrimitiveTests {
    @Test("SHA-256 known answers (FIPS 180-2)")
    func sha256KnownAnswers() throws {
        #expect(
            Hex.encode(try SHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(try SHA256.hash([UInt8]()))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var hasher = try SHA256Hasher()
        try hasher.update(Array("a".utf8))
        try hasher.update(Array("bc".utf8))
        #expect(Hex.encode(try hasher.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("Ed25519 signs RFC 8032 test 1 exactly, and its signature verifies only for its message and key")
    func ed25519Signing() throws {
        let seed = SymmetricKey(
            copying: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        let key = try Ed25519.PrivateKey(seed: seed)
        #expect(
            Hex.encode(key.publicKey.rawRepresentation)
                == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.signature(for: [UInt8]())
        #expect(
            Hex.encode(signature)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(!key.publicKey.isValidSignature(signature, for: [0]))
        #expect(!(try Ed25519.PrivateKey()).publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(throws: CryptoError.incorrectKeySize(expected: 32, actual: 31)) {
            try Ed25519.PrivateKey(seed: SymmetricKey(copying: [UInt8](repeating: 1, count: 31)))
        }
    }

    @Test("AES-256-GCM refuses wrong key, nonce and tag sizes before touching data")
    func aesGCMRefusesSizes() throws {
        let nonce = try AES256GCM.Nonce.random()
        for size in [16, 24, 31, 33] {
            #expect(throws: CryptoError.incorrectKeySize(expected: 32, actual: size)) {
                try AES256GCM.seal(
                    [1, 2, 3], using: SymmetricKey(copying: [UInt8](repeating: 0, count: size)), nonce: nonce)
            }
        }
        for size in [0, 8, 11, 13, 16] {
            #expect(throws: CryptoError.incorrectNonceSize(expected: 12, actual: size)) {
                try AES256GCM.Nonce(bytes: [UInt8](repeating: 0, count: size))
            }
        }
        for size in [0, 12, 15, 17] {
            #expect(throws: CryptoError.incorrectTagSize(expected: 16, actual: size)) {
                try AES256GCM.SealedBox(nonce: nonce, ciphertext: [], tag: [UInt8](repeating: 0, count: size))
            }
        }
    }

    @Test("random nonces and keys differ between calls")
    func randomness() throws {
        let nonces = try (0..<1000).map { _ in try AES256GCM.Nonce.random().bytes }
        #expect(Set(nonces.map(Hex.encode)).count == 1000)
        #expect(try SymmetricKey.random() != SymmetricKey.random())
    }

    @Test("keys never print their bytes")
    func keysAreRedacted() throws {
        let key = SymmetricKey(copying: [UInt8](repeating: 0xAB, count: 32))
        for rendering in [String(describing: key), String(reflecting: key), "\(key)", dumped(key)] {
            #expect(!rendering.lowercased().contains("ab"), "\(rendering)")
            #expect(!rendering.contains("171"), "\(rendering)")
        }
        let envelopeKey = try EnvelopeKey(keyID: "k", version: 1, dataKey: key)
        #expect(!String(describing: envelopeKey).contains("171"))
    }

    @Test("constant-time equality compares length and content")
    func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    private func dumped(_ value: some Any) -> String {
        var output = ""
        dump(value, to: &output)
        return output
    }
}

@Suite("HMAC-SHA256 over many messages")
struct HMACBatchTests {
    @Test("codes for many messages with one context equal the codes computed one by one")
    func batchMatchesSingle() throws {
        let key = SymmetricKey(copying: (0..<32).map { UInt8($0) })
        let authenticator = try HMACSHA256Authenticator(key: key)
        let prefix = Array("term\u{0}".utf8)
        let messages = ["", "a", "recipe", String(repeating: "x", count: 200)].map { Array($0.utf8) }
        let batch = try authenticator.authenticationCodes(for: messages, prefix: prefix)
        for (message, code) in zip(messages, batch) {
            #expect(code == (try authenticator.authenticationCode(for: [prefix, message])))
            #expect(code == (try HMACSHA256.authenticationCode(for: prefix + message, using: key)))
        }
    }
}
