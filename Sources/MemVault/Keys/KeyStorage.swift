/// Where wrapped keys live: a store apart from the data, holding only ciphertext (keys wrapped under the master key
/// or a tenant key), version numbers and counters. `MemVaultSQLite` keeps it in `DATA/keys/keystore.sqlite`.
///
/// Calls are synchronous and short. `write` runs its body in one transaction, serialised across every process
/// sharing the store; a backend must make removed rows unrecoverable (overwritten, not left in free pages or a log)
/// by the time `purgeRemovedKeys` returns.
public protocol KeyStorage: Sendable {
    func read<T>(_ body: (any KeyStoreReader) throws -> T) throws -> T
    func write<T>(_ body: (any KeyStoreTransaction) throws -> T) throws -> T
    /// A number that changes whenever any process commits a change to the store. Cheap: checked before trusting
    /// cached keys, so a key destroyed by another process stops working here too.
    func changeCounter() throws -> UInt64
    /// Makes sure no copy of a removed wrapped key remains in the store's files.
    func purgeRemovedKeys() throws
}

public protocol KeyStoreReader {
    func metadata(_ name: String) throws -> String?
    func tenants() throws -> [TenantID]
    func tenant(_ tenant: TenantID) throws -> TenantKeyRecord?
    /// Every tenant's key generation, which moves whenever a key of the tenant is destroyed, rotated or retired.
    func generations() throws -> [TenantID: UInt64]
    func tenantKey(_ tenant: TenantID, version: UInt32) throws -> TenantKeyVersionRecord?
    func tenantKeys(_ tenant: TenantID) throws -> [TenantKeyVersionRecord]
    func dataKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> DataKeyRecord?
    func latestDataKey(_ tenant: TenantID, owner: DataKeyOwner) throws -> DataKeyRecord?
    /// Data keys not wrapped by `version`, at most `limit`.
    func dataKeys(_ tenant: TenantID, notWrappedBy version: UInt32, limit: Int) throws -> [DataKeyRecord]
    /// Every data key of the tenant (for status and counting).
    func dataKeys(_ tenant: TenantID) throws -> [DataKeyRecord]
}

public protocol KeyStoreTransaction: KeyStoreReader {
    func setMetadata(_ name: String, _ value: String) throws
    func insertTenant(_ record: TenantKeyRecord) throws
    func updateTenant(_ record: TenantKeyRecord) throws
    /// Removes the tenant with all its keys.
    func deleteTenant(_ tenant: TenantID) throws
    func insertTenantKey(_ record: TenantKeyVersionRecord) throws
    func updateTenantKey(_ record: TenantKeyVersionRecord) throws
    /// `conflict` if the owner already has that version.
    func insertDataKey(_ record: DataKeyRecord) throws
    /// Replaces a data key row if it is still wrapped by `expectedWrappedBy`; false otherwise.
    func updateDataKey(_ record: DataKeyRecord, expectedWrappedBy: UInt32) throws -> Bool
    /// Replaces a data key's counters.
    func updateCounters(_ record: DataKeyRecord) throws
    /// Removes every version of the owner's data key; returns how many.
    func deleteDataKeys(_ tenant: TenantID, owner: DataKeyOwner) throws -> Int
}

/// A tenant in the key store.
public struct TenantKeyRecord: Sendable, Equatable {
    public let tenant: TenantID
    public var primaryVersion: UInt32
    /// Moves whenever a key of the tenant is destroyed, rotated or retired (see `KeyStorage.changeCounter`).
    public var generation: UInt64
    public let createdAt: String

    public init(tenant: TenantID, primaryVersion: UInt32, generation: UInt64, createdAt: String) {
        self.tenant = tenant
        self.primaryVersion = primaryVersion
        self.generation = generation
        self.createdAt = createdAt
    }
}

/// One version of a tenant key (a key-encryption key), wrapped under the master key; nil once retired.
public struct TenantKeyVersionRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let version: UInt32
    public var wrapped: [UInt8]?
    public let createdAt: String
    public var retiredAt: String?

    public init(tenant: TenantID, version: UInt32, wrapped: [UInt8]?, createdAt: String, retiredAt: String?) {
        self.tenant = tenant
        self.version = version
        self.wrapped = wrapped
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// One version of a data key, wrapped under a tenant key version, with its encryption counters.
public struct DataKeyRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let owner: DataKeyOwner
    public let version: UInt32
    public var wrapped: [UInt8]
    public var wrappedBy: UInt32
    /// Encryptions handed out in blocks: the nonce budget's upper bound, never undercounted.
    public var encryptionsReserved: UInt64
    /// Encryptions actually done, as processes report them when they give a block back.
    public var encryptionsDone: UInt64
    public let createdAt: String

    public init(
        tenant: TenantID, owner: DataKeyOwner, version: UInt32, wrapped: [UInt8], wrappedBy: UInt32,
        encryptionsReserved: UInt64, encryptionsDone: UInt64, createdAt: String
    ) {
        self.tenant = tenant
        self.owner = owner
        self.version = version
        self.wrapped = wrapped
        self.wrappedBy = wrappedBy
        self.encryptionsReserved = encryptionsReserved
        self.encryptionsDone = encryptionsDone
        self.createdAt = createdAt
    }
}
