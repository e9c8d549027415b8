/// What `memvault keys status` reports for one tenant: versions and counts, never key bytes.
public struct TenantKeyStatus: Codable, Sendable, Equatable {
    public struct TenantKeyVersion: Codable, Sendable, Equatable {
        public let version: UInt32
        /// `primary` (wraps new data keys), `active` (still unwraps older ones) or `retired` (destroyed).
        public let state: String
        public let createdAt: String
        public let retiredAt: String?
        /// Data keys currently wrapped by this version; a version in use cannot be retired.
        public let dataKeysWrapped: Int
    }

    public struct DataKeys: Codable, Sendable, Equatable {
        /// Owners with keys: the tenant itself plus each subject.
        public let owners: Int
        public let subjects: Int
        public let versions: Int
        /// Encryptions done under the tenant's data keys, as reported by the processes that did them.
        public let encryptions: UInt64
        /// Encryptions reserved in blocks: the nonce budget spent, an upper bound of `encryptions`.
        public let encryptionsReserved: UInt64
        /// The largest reservation on any single data key version, against the rotation threshold.
        public let maximumEncryptionsPerKey: UInt64
        public let rotationThreshold: UInt64
    }

    public let tenant: TenantID
    public let primaryVersion: UInt32
    public let tenantKeys: [TenantKeyVersion]
    public let dataKeys: DataKeys
}
