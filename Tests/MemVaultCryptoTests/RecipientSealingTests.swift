import MemVaultCrypto
import Testing

@Suite("Recipient sealing")
struct RecipientSealingTests {
    private let message = Array("memories moving between deployments".utf8)
    private let context = Array("bundle".utf8)
    private let associatedData = Array("manifest hash".utf8)

    @Test("X25519 agrees RFC 7748 §6.1's secret from both sides")
    func rfc7748Agreement() throws {
        let alice = try X25519.PrivateKey(
            rawRepresentation: SymmetricKey(
                copying: Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")!))
        let bob = try X25519.PrivateKey(
            rawRepresentation: SymmetricKey(
                copying: Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")!))
        #expect(
            Hex.encode(alice.publicKey.rawRepresentation)
                == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(Hex.encode(try alice.sharedSecret(with: bob.publicKey).withUnsafeBytes { Array($0) }) == shared)
        #expect(Hex.encode(try bob.sharedSecret(with: alice.publicKey).withUnsafeBytes { Array($0) }) == shared)
        #expect(throws: CryptoError.invalidPublicKey) {
            try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 9, count: 31))
        }
    }

    @Test("only the recipient opens, and only with the same context and associated data")
    func onlyTheRecipientOpens() throws {
        let recipient = try X25519.PrivateKey()
        let sealed = try RecipientSealing.seal(
            message, to: recipient.publicKey, context: context, authenticating: associatedData)
        #expect(sealed.box.ciphertext != message)
        #expect(
            try RecipientSealing.open(sealed, with: recipient, context: context, authenticating: associatedData)
                == message)
        #expect(throws: CryptoError.authenticationFailure) {
            try RecipientSealing.open(
                sealed, with: X25519.PrivateKey(), context: context, authenticating: associatedData)
        }
        #expect(throws: CryptoError.authenticationFailure) {
            try RecipientSealing.open(
                sealed, with: recipient, context: Array("module".utf8), authenticating: associatedData)
        }
        #expect(throws: CryptoError.authenticationFailure) {
            try RecipientSealing.open(sealed, with: recipient, context: context, authenticating: [UInt8]())
        }
        // Another ephemeral key (the sender's key replaced) or a low-order one: never opens.
        let replaced = RecipientSealing.Sealed(ephemeralPublicKey: try X25519.PrivateKey().publicKey, box: sealed.box)
        #expect(throws: CryptoError.authenticationFailure) {
            try RecipientSealing.open(replaced, with: recipient, context: context, authenticating: associatedData)
        }
        let lowOrder = RecipientSealing.Sealed(
            ephemeralPublicKey: try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32)),
            box: sealed.box)
        #expect(throws: CryptoError.authenticationFailure) {
            try RecipientSealing.open(lowOrder, with: recipient, context: context, authenticating: associatedData)
        }
    }

    @Test("each seal uses a fresh ephemeral key")
    func freshEphemeralKeys() throws {
        let recipient = try X25519.PrivateKey().publicKey
        let first = try RecipientSealing.seal(message, to: recipient, context: context, authenticating: associatedData)
        let second = try RecipientSealing.seal(message, to: recipient, context: context, authenticating: associatedData)
        #expect(first.ephemeralPublicKey != second.ephemeralPublicKey)
        #expect(first.box.ciphertext != second.box.ciphertext)
    }
}
