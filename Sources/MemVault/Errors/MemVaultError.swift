/// An error from MemVault's domain: a stable code for programs and a message for people.
///
/// Messages say what was wrong and what to do. They carry ids, paths and counts, never memory content, key bytes or
/// raw subject identifiers.
public struct MemVaultError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// A tenant the catalog does not list; also the answer for another tenant's, so the two cannot be told apart.
    public static func unknown(_ tenant: TenantID) -> MemVaultError {
        MemVaultError(.unknownTenant, "unknown tenant '\(tenant)': create it with `memvault tenant create`")
    }

    /// Extensible error codes; the string is stable and appears in `--json` output.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let invalidArgument = Code("invalid_argument")
        public static let dataFolderMissing = Code("data_folder_missing")
        public static let dataFolderUnusable = Code("data_folder_unusable")
        public static let alreadyInitialised = Code("already_initialised")
        public static let masterKeyUnavailable = Code("master_key_unavailable")
        public static let wrongMasterKey = Code("wrong_master_key")
        public static let unknownTenant = Code("unknown_tenant")
        public static let tenantExists = Code("tenant_exists")
        public static let unknownKey = Code("unknown_key")
        public static let keyInUse = Code("key_in_use")
        public static let keyStoreCorrupted = Code("key_store_corrupted")
        public static let notFound = Code("not_found")
        /// The tenant's policy denied the request; the message gives the decision's reason and rules.
        public static let denied = Code("denied")
        /// A policy file that does not validate; it never takes effect.
        public static let policyInvalid = Code("policy_invalid")
        public static let conflict = Code("conflict")
        public static let limitExceeded = Code("limit_exceeded")
        /// The tenant's memories or bytes would pass its quota.
        public static let quotaExceeded = Code("quota_exceeded")
        /// The tenant's requests per second are past its quota.
        public static let rateLimited = Code("rate_limited")
        /// A stored record failed authentication or decoding: it was modified, moved or corrupted.
        public static let integrity = Code("integrity_failure")
        public static let storage = Code("storage_failure")
        /// A server (or the store behind it) did not answer.
        public static let unavailable = Code("unavailable")
        /// Something failed that is not the caller's doing; the detail stays in the server's own logs.
        public static let internalError = Code("internal_error")
        /// A write to an installed memory module, which is read-only: upgrade or uninstall it instead.
        public static let readOnly = Code("read_only")
        public static let crypto = Code("crypto_failure")
        /// A local embedder cannot run: its model files are missing, altered or malformed. The message says how to
        /// fetch them; lexical search works without them.
        public static let embedderUnavailable = Code("embedder_unavailable")
        /// The credential is malformed, unknown, revoked or expired (one answer for all, so none can be probed).
        public static let unauthenticated = Code("unauthenticated")
    }
}
