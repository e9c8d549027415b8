public import MemVaultCrypto

/// Where the root of the key hierarchy comes from.
///
/// A protocol so that a KMS or Vault transit provider can be added without touching the hierarchy: such a provider
/// would unwrap a stored master key remotely and return it here.
public protocol MasterKeyProvider: Sendable {
    /// Where the key comes from, for status output and errors ("key file /srv/memvault/master.key"). Never key bytes.
    var source: String { get }

    /// The 32-byte master key. Throws `MemVaultError` with code `masterKeyUnavailable` when it cannot be had.
    func masterKey() throws -> SymmetricKey
}

/// The master key as a raw 32-byte file with mode 0600, created by `memvault init`.
public struct KeyFileMasterKeyProvider: MasterKeyProvider {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var source: String { "key file \(path)" }

    public func masterKey() throws -> SymmetricKey {
        do {
            return try KeyFile.read(from: path, byteCount: KeyHierarchy.keyByteCount)
        } catch let failure as KeyFile.Failure {
            throw MemVaultError(.masterKeyUnavailable, failure.description)
        }
    }

    /// Writes a fresh random master key to `path` (exclusive create, mode 0600) and returns its provider.
    public static func create(at path: String) throws -> KeyFileMasterKeyProvider {
        do {
            try KeyFile.write(SymmetricKey.random(byteCount: KeyHierarchy.keyByteCount), to: path)
        } catch let failure as KeyFile.Failure {
            throw MemVaultError(.masterKeyUnavailable, failure.description)
        }
        return KeyFileMasterKeyProvider(path: path)
    }
}

/// The master key as 64 hex digits in an environment variable, for deployments whose secret manager injects it.
public struct EnvironmentMasterKeyProvider: MasterKeyProvider {
    public static let defaultVariable = "MEMVAULT_MASTER_KEY"

    public let variable: String
    private let value: String?

    /// Reads `variable` from `environment` (the process environment in production).
    public init(variable: String = defaultVariable, environment: [String: String]) {
        self.variable = variable
        self.value = environment[variable]
    }

    public var source: String { "environment variable \(variable)" }

    public func masterKey() throws -> SymmetricKey {
        guard let value, !value.isEmpty else {
            throw MemVaultError(.masterKeyUnavailable, "environment variable \(variable) is not set")
        }
        guard value.utf8.count == 2 * KeyHierarchy.keyByteCount, let key = SymmetricKey(hexEncoded: value) else {
            throw MemVaultError(
                .masterKeyUnavailable,
                "environment variable \(variable) must hold exactly \(2 * KeyHierarchy.keyByteCount) hex digits "
                    + "(e.g. from `openssl rand -hex 32`)")
        }
        return key
    }
}
