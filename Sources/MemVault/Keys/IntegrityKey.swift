import MemVaultCrypto

/// Seals governance state kept in clear (consent, legal holds, the catalog's tenant entries) with HMAC-SHA256, so
/// that an edit made to the files is detected rather than obeyed. What a seal covers is a `BindingContext`: a
/// domain label and every field, length-prefixed.
struct IntegrityKey: Sendable {
    private let authenticator: HMACSHA256Authenticator

    init(_ key: SymmetricKey) throws {
        authenticator = try HMACSHA256Authenticator(key: key)
    }

    func seal(_ fields: BindingContext) throws -> [UInt8] {
        try authenticator.authenticationCode(for: [fields.bytes])
    }

    /// Throws `integrity_failure` naming `what` unless `seal` is the seal of `fields`.
    func verify(_ seal: [UInt8], _ fields: BindingContext, _ what: @autoclosure () -> String) throws {
        guard ConstantTime.equals(try self.seal(fields), seal) else {
            throw MemVaultError(
                .integrity, "\(what()) fails its integrity check: it was modified outside MemVault; not obeyed")
        }
    }
}
