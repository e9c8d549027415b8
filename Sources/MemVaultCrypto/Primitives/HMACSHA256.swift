internal import COpenSSL

/// HMAC-SHA256 (RFC 2104) through OpenSSL's EVP_MAC interface.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticationCode(
        for message: some ContiguousBytes, using key: SymmetricKey
    ) throws -> [UInt8] {
        let authenticator = try HMACSHA256Authenticator(key: key)
        return try authenticator.authenticationCode(for: [message])
    }

    /// True only for the full 32-byte code, compared in constant time. Truncated codes are refused, so a caller
    /// cannot be tricked into checking a one-byte tag.
    public static func isValidAuthenticationCode(
        _ code: some ContiguousBytes, for message: some ContiguousBytes, using key: SymmetricKey
    ) throws -> Bool {
        let expected = try authenticationCode(for: message, using: key)
        return ConstantTime.equals(expected, code)
    }
}

/// An HMAC-SHA256 key set up once and reused for many messages (the key schedule is computed once and each
/// message starts from a copy of the keyed state).
public final class HMACSHA256Authenticator: @unchecked Sendable {
    // Never used directly after init: each call works on a duplicate, so concurrent callers share no mutable state.
    private let keyedContext: MACContext

    public init(key: SymmetricKey) throws {
        keyedContext = try MACContext(algorithm: OpenSSLAlgorithms.hmac())
        // A zero-length key still needs a non-null pointer, or OpenSSL would keep "the previous key".
        let result = key.withUnsafeBytes { key in
            withNonNullBytes(key) { COpenSSL_EVP_MAC_init_hmac_sha256(keyedContext.pointer, $0, key.count) }
        }
        try OpenSSLError.check(result, "EVP_MAC_init(HMAC-SHA256)")
    }

    /// The code over the concatenation of `segments`.
    public func authenticationCode(for segments: [some ContiguousBytes]) throws -> [UInt8] {
        let context = try MACContext(duplicating: keyedContext)
        for segment in segments {
            try segment.withUnsafeBytes { buffer throws in
                guard buffer.count > 0 else { return }
                try OpenSSLError.check(EVP_MAC_update(context.pointer, bytes(buffer), buffer.count), "EVP_MAC_update")
            }
        }
        var code = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
        var length = 0
        try OpenSSLError.check(EVP_MAC_final(context.pointer, &code, &length, code.count), "EVP_MAC_final")
        return code
    }

    /// The codes of `prefix ‖ message` for each message, with one working context set back to the same key between
    /// messages: no context is copied per message, which dominates the cost of short messages (search terms).
    public func authenticationCodes(for messages: [[UInt8]], prefix: [UInt8]) throws -> [[UInt8]] {
        let context = try MACContext(duplicating: keyedContext)
        return try messages.map { message in
            // A nil key keeps the key already set: only the HMAC state is reset.
            try OpenSSLError.check(EVP_MAC_init(context.pointer, nil, 0, nil), "EVP_MAC_init")
            for segment in [prefix, message] where !segment.isEmpty {
                try segment.withUnsafeBytes { buffer in
                    try OpenSSLError.check(
                        EVP_MAC_update(context.pointer, bytes(buffer), buffer.count), "EVP_MAC_update")
                }
            }
            var code = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
            var length = 0
            try OpenSSLError.check(EVP_MAC_final(context.pointer, &code, &length, code.count), "EVP_MAC_final")
            return code
        }
    }
}
