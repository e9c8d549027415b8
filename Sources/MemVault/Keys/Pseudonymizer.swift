import MemVaultCrypto

/// Turns a tenant's external subject ids into keyed pseudonyms: HMAC-SHA256 under a key derived from the tenant's
/// pseudonym key. The same id always gives the same pseudonym (so subjects can be looked up), and without the key
/// a pseudonym cannot be linked to the id, not even by trying candidate ids.
public struct Pseudonymizer: Sendable {
    private let authenticator: HMACSHA256Authenticator

    init(key: SymmetricKey) throws {
        let derived = try HKDFSHA256.deriveKey(
            from: key, salt: Array("MemVault pseudonyms v1".utf8), info: Array("subject external id".utf8),
            outputByteCount: HMACSHA256.byteCount)
        authenticator = try HMACSHA256Authenticator(key: derived)
    }

    /// `psn_` and 32 hex digits (128 bits of the HMAC).
    public func pseudonym(forExternalID externalID: String) throws -> String {
        let code = try authenticator.authenticationCode(for: [Array(externalID.utf8)])
        return "psn_" + Hex.encode(code.prefix(16))
    }
}
