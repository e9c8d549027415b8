/// Every way a MemVaultCrypto operation can fail. Messages never contain key, plaintext or tag bytes.
public enum CryptoError: Error, Equatable, Sendable {
    /// The key has the wrong length for the algorithm.
    case incorrectKeySize(expected: Int, actual: Int)
    /// The nonce has the wrong length; MemVault uses 96-bit GCM nonces only.
    case incorrectNonceSize(expected: Int, actual: Int)
    /// The tag has the wrong length; MemVault uses 128-bit GCM tags only.
    case incorrectTagSize(expected: Int, actual: Int)
    /// The ciphertext, tag, associated data or key commitment did not verify: wrong key, wrong context or tampering.
    case authenticationFailure
    /// A public key that is not a valid encoding for its algorithm.
    case invalidPublicKey
    /// A derived-key length outside what the KDF can produce.
    case invalidOutputLength(requested: Int, maximum: Int)
    /// Bytes that do not parse as a MemVault envelope.
    case malformedEnvelope(reason: String)
    /// An envelope written by a newer or unknown format or algorithm.
    case unsupportedEnvelope(formatVersion: UInt8, algorithm: UInt8)
    /// The envelope names a different key than the one offered to open it.
    case envelopeKeyMismatch(envelopeKey: String, offeredKey: String)
    /// The CSPRNG could not produce bytes; nothing is encrypted with a weak nonce or key.
    case randomGenerationFailed
    /// OpenSSL reported an internal failure in `operation`.
    case openSSLFailure(operation: String, reason: String)
}

extension CryptoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .incorrectKeySize(let expected, let actual):
            "incorrect key size: \(actual) bytes given, \(expected) required"
        case .incorrectNonceSize(let expected, let actual):
            "incorrect nonce size: \(actual) bytes given, \(expected) required"
        case .incorrectTagSize(let expected, let actual):
            "incorrect tag size: \(actual) bytes given, \(expected) required"
        case .authenticationFailure:
            "authentication failure: wrong key, wrong context, or the data was modified"
        case .invalidPublicKey:
            "invalid public key encoding"
        case .invalidOutputLength(let requested, let maximum):
            "invalid output length \(requested): must be between 1 and \(maximum) bytes"
        case .malformedEnvelope(let reason):
            "malformed envelope: \(reason)"
        case .unsupportedEnvelope(let formatVersion, let algorithm):
            "unsupported envelope format \(formatVersion) algorithm \(algorithm): written by a newer MemVault?"
        case .envelopeKeyMismatch(let envelopeKey, let offeredKey):
            "envelope was sealed under key \(envelopeKey), not \(offeredKey)"
        case .randomGenerationFailed:
            "the OpenSSL random generator failed"
        case .openSSLFailure(let operation, let reason):
            "OpenSSL failure in \(operation): \(reason)"
        }
    }
}

extension CryptoError {
    /// What went wrong, without naming keys: for messages about stored records, whose key ids may name a subject.
    public var category: String {
        switch self {
        case .envelopeKeyMismatch: "sealed under another key"
        case .authenticationFailure: "authentication failure"
        case .malformedEnvelope: "malformed envelope"
        default: description
        }
    }
}
