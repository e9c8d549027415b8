import Foundation
public import MemVaultCrypto
import Synchronization

/// The key hierarchy: master key → versioned tenant keys → per-subject and per-tenant data keys.
///
/// - The master key (from a `MasterKeyProvider`) wraps tenant keys and derives the installation's own keys (the
///   catalog's integrity key, the installation audit log's signing key). It never touches tenant data.
/// - Tenant keys (key-encryption keys) wrap data keys. Rotation adds a version and makes it primary; `rewrap`
///   re-wraps data keys under the primary version without re-encrypting any data; a version no data key depends on
///   can be retired, which destroys it.
/// - Data keys encrypt content. Each is counted, and a new version is made long before the 2^32 random-nonce bound
///   of AES-GCM. Destroying a subject's data keys crypto-shreds that subject's data, backups included.
///
/// Wrapped keys live in a `KeyStorage`, apart from the data; unwrapped keys only in memory, in bounded caches that
/// `refresh()` empties of every key another process destroyed, rotated or retired since.
public final class KeyHierarchy: Sendable {
    public static let keyByteCount = 32

    public struct Configuration: Sendable {
        /// Encryptions after which a data key gets a new version. NIST SP 800-38D caps random 96-bit nonces at
        /// 2^32 messages per key; rotating at 2^31 keeps the collision probability below 2^-33.
        public var rotationThreshold: UInt64 = 1 << 31
        /// Encryptions reserved in the key store at a time, so counting costs one write per block, not per message.
        /// A crash loses at most one block of budget, never undercounts.
        public var reservationBlock: UInt64 = 4096
        /// Unwrapped keys and derived secrets kept in memory at most.
        public var cacheCapacity = 4096
        /// How often `refresh` asks the key store whether another process changed keys: the longest a key destroyed
        /// elsewhere can still decrypt here. One check costs a few microseconds.
        public var refreshInterval = Duration.milliseconds(1)

        public init() {}
    }

    public let configuration: Configuration
    /// Where the master key came from, for status output.
    public let masterKeySource: String
    /// The installation's id, recorded in the key store when it was created.
    public let installationID: String
    private let store: any KeyStorage
    private let masterWrappingKey: EnvelopeKey
    /// Seals the catalog's entries; derived from the master key, so a copy of the files cannot forge them.
    let installationIntegrity: IntegrityKey
    /// Signs the installation audit log's checkpoints.
    let installationSigningKey: Ed25519.PrivateKey
    /// Keys the hashes of credential secrets: a copy of the catalog alone cannot test a guessed secret.
    private let credentialHashKey: SymmetricKey
    private let cache: Mutex<Cache>
    private let lastRefresh = Mutex<ContinuousClock.Instant?>(nil)
    /// Encryption budget per owner. Never held across a key-store write: a reservation is made unlocked, and
    /// concurrent reservations are both kept (an over-count is safe).
    private let budgets = Mutex([OwnerReference: Budget]())

    private struct Cache {
        var changeCounter: UInt64?
        var generations: [TenantID: UInt64] = [:]
        var tenantKeys: BoundedCache<TenantKeyReference, EnvelopeKey>
        var dataKeys: BoundedCache<DataKeyReference, EnvelopeKey>
        var secrets: BoundedCache<OwnerReference, SymmetricKey>
        var derived: BoundedCache<DerivedReference, DerivedValue>
    }

    private struct OwnerReference: Hashable {
        let tenant: TenantID
        let owner: DataKeyOwner
    }

    private struct TenantKeyReference: Hashable {
        let tenant: TenantID
        let version: UInt32
    }

    private struct DataKeyReference: Hashable {
        let tenant: TenantID
        let owner: DataKeyOwner
        let version: UInt32
    }

    private enum DerivedReference: Hashable {
        case pseudonymizer(TenantID)
        case integrity(TenantID)
        case auditPseudonym(TenantID, SubjectID)
        case blindIndex(TenantID, DataKeyOwner)

        var tenant: TenantID {
            switch self {
            case .pseudonymizer(let tenant), .integrity(let tenant), .auditPseudonym(let tenant, _),
                .blindIndex(let tenant, _):
                tenant
            }
        }
    }

    private enum DerivedValue {
        case pseudonymizer(Pseudonymizer)
        case integrity(IntegrityKey)
        case auditPseudonym(String)
        case blindIndex(BlindIndexKey)

        var pseudonymizer: Pseudonymizer? { if case .pseudonymizer(let value) = self { value } else { nil } }
        var integrity: IntegrityKey? { if case .integrity(let value) = self { value } else { nil } }
        var auditPseudonym: String? { if case .auditPseudonym(let value) = self { value } else { nil } }
        var blindIndex: BlindIndexKey? { if case .blindIndex(let value) = self { value } else { nil } }
    }

    /// What this process holds of one owner's encryption budget.
    private struct Budget {
        /// Reservations with room left.
        var open: [Lease] = []
        /// Encryptions done under reservations since closed, per key version, not yet reported to the key store.
        var unreported: [UInt32: UInt64] = [:]

        /// Takes `count` encryptions from the first lease with room; nil if none has room.
        mutating func take(_ count: UInt64) -> UInt32? {
            guard let index = open.firstIndex(where: { $0.remaining >= count }) else { return nil }
            open[index].next += count
            let version = open[index].version
            if open[index].remaining == 0 { close(at: index) }
            return version
        }

        mutating func add(_ lease: Lease, closingOlderVersions: Bool) {
            if closingOlderVersions {
                while let index = open.firstIndex(where: { $0.version < lease.version }) { close(at: index) }
            }
            if lease.remaining > 0 { open.append(lease) } else { unreported[lease.version, default: 0] += lease.used }
        }

        private mutating func close(at index: Int) {
            let lease = open.remove(at: index)
            unreported[lease.version, default: 0] += lease.used
        }

        /// Encryptions done here and not yet reported.
        var done: UInt64 { open.reduce(0) { $0 + $1.used } + unreported.values.reduce(0, +) }
    }

    /// A range of encryptions reserved in the key store for one data key version.
    private struct Lease {
        let version: UInt32
        let start: UInt64
        var next: UInt64
        let end: UInt64

        var remaining: UInt64 { end - next }
        var used: UInt64 { next - start }
    }

    private init(
        store: any KeyStorage, masterKey: SymmetricKey, source: String, installationID: String,
        configuration: Configuration
    ) throws {
        self.store = store
        self.configuration = configuration
        self.masterKeySource = source
        self.installationID = installationID
        masterWrappingKey = try EnvelopeKey(
            keyID: "master", version: 1,
            dataKey: Self.derive(from: masterKey, purpose: "master wrapping key", byteCount: Self.keyByteCount))
        installationIntegrity = try IntegrityKey(
            Self.derive(from: masterKey, purpose: "installation integrity key", byteCount: Self.keyByteCount))
        installationSigningKey = try Ed25519.PrivateKey(
            seed: Self.derive(from: masterKey, purpose: "installation audit signing key", byteCount: 32))
        credentialHashKey = try Self.derive(
            from: masterKey, purpose: "installation credential hash key", byteCount: Self.keyByteCount)
        let capacity = configuration.cacheCapacity
        cache = Mutex(
            Cache(
                tenantKeys: BoundedCache(capacity: capacity), dataKeys: BoundedCache(capacity: capacity),
                secrets: BoundedCache(capacity: capacity), derived: BoundedCache(capacity: capacity)))
    }

    /// The stored form of a credential's secret: HMAC-SHA256 under a key derived from the master key.
    func credentialHash(_ secret: [UInt8]) throws -> [UInt8] {
        try HMACSHA256.authenticationCode(for: secret, using: credentialHashKey)
    }

    // MARK: - Opening

    /// Starts a new key store in `store`, recording a new installation id and the master key's fingerprint.
    public static func create(
        in store: any KeyStorage, masterKeyProvider provider: any MasterKeyProvider,
        configuration: Configuration = Configuration()
    ) throws -> KeyHierarchy {
        let masterKey = try provider.masterKey()
        let fingerprint = try Self.fingerprint(of: masterKey)
        let installationID = try store.write { transaction in
            guard try transaction.metadata("master_key") == nil else {
                throw MemVaultError(.alreadyInitialised, "the key store is already initialised")
            }
            let id = try transaction.metadata("installation_id") ?? newInstallationID()
            try transaction.setMetadata("installation_id", id)
            try transaction.setMetadata("master_key", fingerprint)
            try transaction.setMetadata("created_at", timestamp())
            return id
        }
        return try KeyHierarchy(
            store: store, masterKey: masterKey, source: provider.source, installationID: installationID,
            configuration: configuration)
    }

    /// Opens an existing key store; a master key other than the one it was created with is refused.
    public static func open(
        _ store: any KeyStorage, masterKeyProvider provider: any MasterKeyProvider,
        configuration: Configuration = Configuration()
    ) throws -> KeyHierarchy {
        let (recorded, installationID) = try store.read {
            (try $0.metadata("master_key"), try $0.metadata("installation_id"))
        }
        guard let recorded, let installationID else {
            throw MemVaultError(.keyStoreCorrupted, "the key store has no master key record")
        }
        let masterKey = try provider.masterKey()
        guard ConstantTime.equals(Array(recorded.utf8), Array(try Self.fingerprint(of: masterKey).utf8)) else {
            throw MemVaultError(
                .wrongMasterKey,
                "the master key from \(provider.source) does not match this key store (authentication failed): "
                    + "use the master key this data folder was initialised with")
        }
        return try KeyHierarchy(
            store: store, masterKey: masterKey, source: provider.source, installationID: installationID,
            configuration: configuration)
    }

    /// The installation id a key store records (readable without the master key: it only names the installation).
    public static func installationID(in store: any KeyStorage) throws -> String? {
        try store.read { try $0.metadata("installation_id") }
    }

    /// Records an installation id before the key store is initialised (so its master key can be named after it).
    public static func reserveInstallationID(in store: any KeyStorage) throws -> String {
        try store.write { transaction in
            if let id = try transaction.metadata("installation_id") { return id }
            let id = try newInstallationID()
            try transaction.setMetadata("installation_id", id)
            return id
        }
    }

    private static func newInstallationID() throws -> String {
        "inst_" + Hex.encode(try SecureRandom.bytes(count: 12))
    }

    /// A public, one-way identifier of the master key: HKDF output, so it reveals nothing about the key.
    private static func fingerprint(of masterKey: SymmetricKey) throws -> String {
        Hex.encode(
            try HKDFSHA256.derivePublicBytes(
                from: masterKey, salt: Array("MemVault key hierarchy v1".utf8),
                info: Array("master key fingerprint".utf8), outputByteCount: 16))
    }

    private static func derive(from key: SymmetricKey, purpose: String, byteCount: Int) throws -> SymmetricKey {
        try HKDFSHA256.deriveKey(
            from: key, salt: Array("MemVault key hierarchy v1".utf8), info: Array(purpose.utf8),
            outputByteCount: byteCount)
    }

    // MARK: - Keeping caches honest

    /// Drops every cached key and secret of a tenant whose keys another process destroyed, rotated or retired since
    /// the last check. Called before every operation; it asks the key store at most once per
    /// `Configuration.refreshInterval`, so a key destroyed by another process stops decrypting here within that
    /// interval (this process's own changes take effect at once).
    public func refresh() throws {
        let now = ContinuousClock.now
        guard
            lastRefresh.withLock({ last in
                guard last.map({ now - $0 >= configuration.refreshInterval }) ?? true else { return false }
                last = now
                return true
            })
        else { return }
        let counter = try store.changeCounter()
        guard cache.withLock({ $0.changeCounter != counter }) else { return }
        let generations = try store.read { try $0.generations() }
        cache.withLock { cache in
            // A tenant whose generation this process never saw (made here, or before the first check) is stale
            // too: what is cached of it may predate a change made elsewhere.
            let stale = Set(cache.generations.keys).union(generations.keys).filter {
                generations[$0] != cache.generations[$0]
            }
            if !stale.isEmpty { Self.forget(stale, in: &cache) }
            cache.generations = generations
            cache.changeCounter = counter
        }
        budgets.withLock { budgets in
            budgets = budgets.filter { generations[$0.key.tenant] != nil }
        }
    }

    private static func forget(_ tenants: Set<TenantID>, in cache: inout Cache) {
        cache.tenantKeys.removeAll { tenants.contains($0.tenant) }
        cache.dataKeys.removeAll { tenants.contains($0.tenant) }
        cache.secrets.removeAll { tenants.contains($0.tenant) }
        cache.derived.removeAll { tenants.contains($0.tenant) }
    }

    /// Forgets a tenant's keys after this process changed them, and moves its generation here too, so every cache
    /// built on them (see `generation(of:)`) is dropped as well.
    private func forget(_ tenant: TenantID) {
        cache.withLock { cache in
            Self.forget([tenant], in: &cache)
            cache.generations[tenant] = (cache.generations[tenant] ?? 0) &+ 1 | 1 << 63
        }
    }

    /// The tenant's key generation as of the last `refresh()` (or this process's own last change): whatever was
    /// cached about the tenant at another generation may rest on keys that no longer exist.
    public func generation(of tenant: TenantID) -> UInt64? {
        cache.withLock { $0.generations[tenant] }
    }

    /// Moves the tenant's generation, so other processes drop their cached keys of it.
    private func bumpGeneration(_ transaction: any KeyStoreTransaction, _ tenant: TenantID) throws {
        guard var record = try transaction.tenant(tenant) else { return }
        record.generation += 1
        try transaction.updateTenant(record)
    }

    // MARK: - Tenants

    /// Registers a tenant with tenant key version 1 and the tenant's shared data key.
    public func createTenant(_ tenant: TenantID) throws {
        let tenantKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let wrappedTenantKey = try wrapTenantKey(tenantKey, tenant: tenant, version: 1)
        let tenantEnvelopeKey = try EnvelopeKey(keyID: Self.tenantKeyID, version: 1, dataKey: tenantKey)
        let owners: [DataKeyOwner] = [.tenant, .pseudonyms]
        let wrappedDataKeys = try owners.map { owner in
            (owner, try wrapDataKey(.random(byteCount: Self.keyByteCount), tenant, owner, 1, under: tenantEnvelopeKey))
        }
        try store.write { transaction in
            guard try transaction.tenant(tenant) == nil else {
                throw MemVaultError(.tenantExists, "tenant '\(tenant)' already exists")
            }
            let now = timestamp()
            try transaction.insertTenant(
                TenantKeyRecord(tenant: tenant, primaryVersion: 1, generation: 0, createdAt: now))
            try transaction.insertTenantKey(
                TenantKeyVersionRecord(
                    tenant: tenant, version: 1, wrapped: wrappedTenantKey.bytes, createdAt: now, retiredAt: nil))
            for (owner, wrapped) in wrappedDataKeys {
                try transaction.insertDataKey(
                    DataKeyRecord(
                        tenant: tenant, owner: owner, version: 1, wrapped: wrapped.bytes, wrappedBy: 1,
                        encryptionsReserved: 0, encryptionsDone: 0, createdAt: now))
            }
        }
    }

    public func tenants() throws -> [TenantID] {
        try store.read { try $0.tenants() }
    }

    /// Destroys every key of the tenant. All of its data, in any copy, becomes unreadable.
    public func destroyTenant(_ tenant: TenantID) throws {
        try store.write { transaction in
            try requireTenant(transaction, tenant)
            try transaction.deleteTenant(tenant)
        }
        budgets.withLock { $0 = $0.filter { $0.key.tenant != tenant } }
        forget(tenant)
        try store.purgeRemovedKeys()
    }

    // MARK: - Tenant key rotation

    /// Adds a tenant key version and makes it primary. Existing data keys stay wrapped by older versions until
    /// `rewrapDataKeys`; returns the new version.
    @discardableResult
    public func rotateTenantKey(_ tenant: TenantID) throws -> UInt32 {
        let tenantKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        return try store.write { transaction in
            var record = try requireTenant(transaction, tenant)
            let version = (try transaction.tenantKeys(tenant).map(\.version).max() ?? 0) + 1
            let wrapped = try wrapTenantKey(tenantKey, tenant: tenant, version: version)
            try transaction.insertTenantKey(
                TenantKeyVersionRecord(
                    tenant: tenant, version: version, wrapped: wrapped.bytes, createdAt: timestamp(), retiredAt: nil))
            record.primaryVersion = version
            record.generation += 1
            try transaction.updateTenant(record)
            return version
        }
    }

    /// Re-wraps every data key of the tenant under the primary tenant key version; data is not re-encrypted.
    /// Returns how many data keys were re-wrapped. Works in batches, so it can be interrupted and run again.
    @discardableResult
    public func rewrapDataKeys(_ tenant: TenantID, batchSize: Int = 500) throws -> Int {
        var total = 0
        while true {
            let (primary, stale) = try store.read { reader in
                let record = try requireTenant(reader, tenant)
                return (
                    record.primaryVersion,
                    try reader.dataKeys(tenant, notWrappedBy: record.primaryVersion, limit: batchSize)
                )
            }
            guard !stale.isEmpty else { return total }
            let primaryKey = try tenantKey(tenant, version: primary)
            let rewrapped = try stale.map { row in
                var updated = row
                let dataKey = try unwrapDataKey(
                    row.wrapped, tenant: tenant, owner: row.owner, version: row.version,
                    under: tenantKey(tenant, version: row.wrappedBy))
                updated.wrapped = try wrapDataKey(dataKey, tenant, row.owner, row.version, under: primaryKey).bytes
                updated.wrappedBy = primary
                return (updated, row.wrappedBy)
            }
            try store.write { transaction in
                for (row, previous) in rewrapped {
                    // Guarded on the old version, so a concurrent rewrap of the same row is not overwritten.
                    if try transaction.updateDataKey(row, expectedWrappedBy: previous) { total += 1 }
                }
                try bumpGeneration(transaction, tenant)
            }
        }
    }

    /// Destroys an old tenant key version. Refused for the primary version and for a version still wrapping data
    /// keys (run `rewrapDataKeys` first), so retiring never makes data unreadable.
    public func retireTenantKey(_ tenant: TenantID, version: UInt32) throws {
        try store.write { transaction in
            var record = try requireTenant(transaction, tenant)
            guard var key = try transaction.tenantKey(tenant, version: version) else {
                throw MemVaultError(.notFound, "tenant '\(tenant)' has no key version \(version)")
            }
            guard key.retiredAt == nil else {
                throw MemVaultError(.invalidArgument, "tenant '\(tenant)' key version \(version) is already retired")
            }
            guard record.primaryVersion != version else {
                throw MemVaultError(
                    .keyInUse,
                    "version \(version) is the primary key of tenant '\(tenant)': rotate first "
                        + "(`memvault keys rotate --tenant \(tenant)`)")
            }
            let dependants = try transaction.dataKeys(tenant).filter { $0.wrappedBy == version }.count
            guard dependants == 0 else {
                throw MemVaultError(
                    .keyInUse,
                    "\(dependants) data keys of tenant '\(tenant)' are still wrapped by version \(version): "
                        + "run `memvault keys rewrap --tenant \(tenant)` first")
            }
            key.wrapped = nil
            key.retiredAt = timestamp()
            try transaction.updateTenantKey(key)
            record.generation += 1
            try transaction.updateTenant(record)
        }
        cache.withLock { $0.tenantKeys.removeValue(forKey: TenantKeyReference(tenant: tenant, version: version)) }
        try store.purgeRemovedKeys()
    }

    // MARK: - Data keys

    /// Creates version 1 of a data key for `owner` (a subject's first key; the tenant's exist from creation).
    public func createDataKey(_ tenant: TenantID, owner: DataKeyOwner) throws {
        let dataKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let primary = try store.read { try requireTenant($0, tenant).primaryVersion }
        let wrapped = try wrapDataKey(dataKey, tenant, owner, 1, under: tenantKey(tenant, version: primary))
        try store.write { transaction in
            guard try transaction.latestDataKey(tenant, owner: owner) == nil else {
                throw MemVaultError(.conflict, "tenant '\(tenant)' already has a data key for \(owner)")
            }
            try transaction.insertDataKey(
                DataKeyRecord(
                    tenant: tenant, owner: owner, version: 1, wrapped: wrapped.bytes, wrappedBy: primary,
                    encryptionsReserved: 0, encryptionsDone: 0, createdAt: timestamp()))
        }
    }

    /// The current data key of `owner`, counted for `encryptions` seals. Makes a new version when the count would
    /// pass the rotation threshold; older versions keep decrypting.
    public func encryptionKey(
        _ tenant: TenantID, owner: DataKeyOwner, encryptions: UInt64 = 1
    ) throws -> EnvelopeKey {
        guard encryptions > 0, encryptions <= configuration.rotationThreshold else {
            throw MemVaultError(
                .invalidArgument, "cannot reserve \(encryptions) encryptions under one data key at once")
        }
        let reference = OwnerReference(tenant: tenant, owner: owner)
        if let version = budgets.withLock({ $0[reference, default: Budget()].take(encryptions) }) {
            return try dataKey(tenant, owner: owner, version: version)
        }
        // No lock is held while the key store writes (and syncs) the reservation.
        let (lease, rotated) = try reserve(tenant, owner, encryptions: encryptions)
        budgets.withLock { $0[reference, default: Budget()].add(lease, closingOlderVersions: rotated) }
        return try dataKey(tenant, owner: owner, version: lease.version)
    }

    /// The data key version named by an envelope header, for decryption.
    public func decryptionKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> EnvelopeKey {
        try dataKey(tenant, owner: owner, version: version)
    }

    /// Crypto-shredding: destroys every version of the owner's data key. Returns how many versions were destroyed.
    @discardableResult
    public func destroyDataKeys(_ tenant: TenantID, owner: DataKeyOwner) throws -> Int {
        let destroyed = try store.write { transaction in
            try requireTenant(transaction, tenant)
            let count = try transaction.deleteDataKeys(tenant, owner: owner)
            if count > 0 { try bumpGeneration(transaction, tenant) }
            return count
        }
        guard destroyed > 0 else {
            throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no data key for \(owner)")
        }
        _ = budgets.withLock { $0.removeValue(forKey: OwnerReference(tenant: tenant, owner: owner)) }
        forget(tenant)
        try store.purgeRemovedKeys()
        return destroyed
    }

    /// Reports the encryptions this process has done and gives back what it reserved and did not use (if no other
    /// process reserved after it), so `status` counts work done rather than budget held. Called when a store
    /// closes; the hierarchy stays usable.
    public func flushBudget() throws {
        let held = budgets.withLock { budgets in
            defer { budgets.removeAll() }
            return budgets
        }
        guard !held.isEmpty else { return }
        try store.write { transaction in
            for (reference, budget) in held {
                func update(_ version: UInt32, _ change: (inout DataKeyRecord) -> Void) throws {
                    guard var row = try transaction.dataKey(reference.tenant, owner: reference.owner, version: version)
                    else { return }
                    change(&row)
                    try transaction.updateCounters(row)
                }
                for (version, done) in budget.unreported {
                    try update(version) { $0.encryptionsDone += done }
                }
                for lease in budget.open {
                    try update(lease.version) { row in
                        row.encryptionsDone += lease.used
                        // Give the unused rest back only if this lease is still the last one handed out.
                        if row.encryptionsReserved == lease.end { row.encryptionsReserved = lease.next }
                    }
                }
            }
        }
    }

    // MARK: - Status

    public func status(_ only: TenantID? = nil) throws -> [TenantKeyStatus] {
        // This process's own work not yet reported counts as done.
        let unreported = budgets.withLock { budgets in
            budgets.reduce(into: [TenantID: UInt64]()) { $0[$1.key.tenant, default: 0] += $1.value.done }
        }
        return try store.read { reader in
            if let only { try requireTenant(reader, only) }
            return try (only.map { [$0] } ?? reader.tenants()).map { tenant in
                let record = try requireTenant(reader, tenant)
                let dataKeys = try reader.dataKeys(tenant)
                let versions = try reader.tenantKeys(tenant).map { key in
                    TenantKeyStatus.TenantKeyVersion(
                        version: key.version,
                        state: key.retiredAt != nil
                            ? "retired" : key.version == record.primaryVersion ? "primary" : "active",
                        createdAt: key.createdAt, retiredAt: key.retiredAt,
                        dataKeysWrapped: dataKeys.filter { $0.wrappedBy == key.version }.count)
                }
                let owners = Set(dataKeys.map(\.owner))
                return TenantKeyStatus(
                    tenant: tenant, primaryVersion: record.primaryVersion, tenantKeys: versions,
                    dataKeys: .init(
                        owners: owners.count, subjects: owners.filter { $0.subject != nil }.count,
                        versions: dataKeys.count,
                        encryptions: dataKeys.reduce(0) { $0 + $1.encryptionsDone } + unreported[tenant, default: 0],
                        encryptionsReserved: dataKeys.reduce(0) { $0 + $1.encryptionsReserved },
                        maximumEncryptionsPerKey: dataKeys.map(\.encryptionsReserved).max() ?? 0,
                        rotationThreshold: configuration.rotationThreshold))
            }
        }
    }

    // MARK: - Derived secrets

    /// The tenant's pseudonymizer, keyed by its pseudonym key (made here for tenants created before it existed).
    public func pseudonymizer(_ tenant: TenantID) throws -> Pseudonymizer {
        try derived(.pseudonymizer(tenant)) {
            .pseudonymizer(try Pseudonymizer(key: secret(tenant, owner: .pseudonyms, createIfMissing: true)))
        }.pseudonymizer!
    }

    /// The tenant's key for sealing governance state (consent, legal holds): derived from the pseudonym key, which
    /// never rotates either, under its own label (an independent key, with no second secret to store).
    func integrityKey(_ tenant: TenantID) throws -> IntegrityKey {
        try derived(.integrity(tenant)) {
            let secret = try secret(tenant, owner: .pseudonyms, createIfMissing: true)
            return .integrity(
                try IntegrityKey(
                    HKDFSHA256.deriveKey(
                        from: secret, salt: Array("MemVault governance integrity v1".utf8),
                        info: Array(tenant.rawValue.utf8), outputByteCount: HMACSHA256.byteCount)))
        }.integrity!
    }

    /// The tenant's Ed25519 key for signing audit checkpoints (made on first use).
    public func auditSigningKey(_ tenant: TenantID) throws -> Ed25519.PrivateKey {
        try Ed25519.PrivateKey(seed: secret(tenant, owner: .auditSigning, createIfMissing: true))
    }

    /// The tenant's portability keys (made on first use): the X25519 key that bundles are sealed to and the Ed25519
    /// key that signs what the tenant sends, each derived from one stored seed for its own use.
    public func portabilityKeys(_ tenant: TenantID) throws -> (
        recipient: X25519.PrivateKey, signing: Ed25519.PrivateKey
    ) {
        let seed = try secret(tenant, owner: .portability, createIfMissing: true)
        func derive(_ use: String) throws -> SymmetricKey {
            try HKDFSHA256.deriveKey(
                from: seed, salt: Array("MemVault portability v1".utf8),
                info: Array(use.utf8) + [0] + Array(tenant.rawValue.utf8),
                outputByteCount: 32)
        }
        return (
            try X25519.PrivateKey(rawRepresentation: derive("bundle recipient")),
            try Ed25519.PrivateKey(seed: derive("bundle signing"))
        )
    }

    /// The subject's audit pseudonym: an HMAC of its id under a secret derived from its first data key version.
    /// Stable for the subject's lifetime; once erasure destroys the subject's keys, old audit entries can no longer
    /// be linked to it, while the log still verifies.
    public func auditPseudonym(_ tenant: TenantID, subject: SubjectID) throws -> String {
        try derived(.auditPseudonym(tenant, subject)) {
            let secret = try secret(tenant, owner: .subject(subject), createIfMissing: false)
            let key = try HKDFSHA256.deriveKey(
                from: secret, salt: Array("MemVault audit pseudonym v1".utf8), info: Array(tenant.rawValue.utf8),
                outputByteCount: HMACSHA256.byteCount)
            let code = try HMACSHA256.authenticationCode(for: Array(subject.rawValue.utf8), using: key)
            return .auditPseudonym("apn_" + Hex.encode(code.prefix(16)))
        }.auditPseudonym!
    }

    /// The key of the owner's search index (subject, or tenant for shared cubes): derived from the owner's first data
    /// key secret, so destroying the owner's keys leaves its blind terms unlinkable. Nil if the owner has no data key
    /// yet (nothing of it was ever sealed, so nothing is indexed).
    func blindIndexKey(_ tenant: TenantID, owner: DataKeyOwner, createIfMissing: Bool) throws -> BlindIndexKey? {
        do {
            return try derived(.blindIndex(tenant, owner)) {
                let secret = try secret(tenant, owner: owner, createIfMissing: createIfMissing)
                return .blindIndex(
                    try BlindIndexKey(
                        HKDFSHA256.deriveKey(
                            from: secret, salt: Array("MemVault search index v1".utf8),
                            info: Array(tenant.rawValue.utf8) + [0] + Array(owner.keyID.utf8),
                            outputByteCount: HMACSHA256.byteCount)))
            }.blindIndex!
        } catch let error as MemVaultError where error.code == .unknownKey && !createIfMissing {
            return nil
        }
    }

    private func derived(_ reference: DerivedReference, _ make: () throws -> DerivedValue) throws -> DerivedValue {
        if let cached = cache.withLock({ $0.derived.value(forKey: reference) }) { return cached }
        let value = try make()
        cache.withLock { $0.derived.insert(value, forKey: reference) }
        return value
    }

    /// The raw secret of `owner`'s first data key version, for keys that derive rather than seal.
    private func secret(_ tenant: TenantID, owner: DataKeyOwner, createIfMissing: Bool) throws -> SymmetricKey {
        let reference = OwnerReference(tenant: tenant, owner: owner)
        if let cached = cache.withLock({ $0.secrets.value(forKey: reference) }) { return cached }
        func fetch() throws -> DataKeyRecord? {
            try store.read { reader in
                try requireTenant(reader, tenant)
                return try reader.dataKey(tenant, owner: owner, version: 1)
            }
        }
        var row = try fetch()
        if row == nil, createIfMissing {
            do {
                try createDataKey(tenant, owner: owner)
            } catch let error as MemVaultError where error.code == .conflict {
                // Another process made it between our read and our write: use theirs.
            }
            row = try fetch()
        }
        guard let row else { throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no key for \(owner)") }
        let secret = try unwrapDataKey(
            row.wrapped, tenant: tenant, owner: owner, version: 1, under: tenantKey(tenant, version: row.wrappedBy))
        cache.withLock { $0.secrets.insert(secret, forKey: reference) }
        return secret
    }

    // MARK: - Encryption budget

    /// Reserves a block of encryptions on the owner's newest data key, making a new version first if the request
    /// does not fit before the rotation threshold. Atomic in the key store, so processes sharing it never
    /// double-count. Returns the lease and whether it is on a new version (older leases are then closed).
    private func reserve(
        _ tenant: TenantID, _ owner: DataKeyOwner, encryptions: UInt64
    ) throws -> (Lease, rotated: Bool) {
        let block = max(configuration.reservationBlock, encryptions)
        let threshold = configuration.rotationThreshold
        // A fresh key is prepared outside the transaction; it is used only if rotation turns out to be needed.
        let candidate = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let primary = try store.read { try requireTenant($0, tenant).primaryVersion }
        let wrappingKey = try tenantKey(tenant, version: primary)
        return try store.write { transaction in
            guard var latest = try transaction.latestDataKey(tenant, owner: owner) else {
                throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no data key for \(owner)")
            }
            var rotated = false
            // The last block of a version may be short; rotate only when the request no longer fits at all.
            if threshold - min(latest.encryptionsReserved, threshold) < encryptions {
                let wrapped = try wrapDataKey(candidate, tenant, owner, latest.version + 1, under: wrappingKey)
                latest = DataKeyRecord(
                    tenant: tenant, owner: owner, version: latest.version + 1, wrapped: wrapped.bytes,
                    wrappedBy: primary, encryptionsReserved: 0, encryptionsDone: 0, createdAt: timestamp())
                try transaction.insertDataKey(latest)
                rotated = true
            }
            let start = latest.encryptionsReserved
            let end = min(start + block, threshold)
            latest.encryptionsReserved = end
            try transaction.updateCounters(latest)
            return (Lease(version: latest.version, start: start, next: start + encryptions, end: end), rotated)
        }
    }

    // MARK: - Wrapping

    private static let tenantKeyID = "tenant-key"

    private func wrapTenantKey(_ key: SymmetricKey, tenant: TenantID, version: UInt32) throws -> Envelope {
        try Envelope.seal(
            secret: key, with: masterWrappingKey,
            associatedData: Self.tenantKeyBinding(tenant, version: version).bytes)
    }

    private func wrapDataKey(
        _ key: SymmetricKey, _ tenant: TenantID, _ owner: DataKeyOwner, _ version: UInt32, under tenantKey: EnvelopeKey
    ) throws -> Envelope {
        try Envelope.seal(
            secret: key, with: tenantKey,
            associatedData: Self.dataKeyBinding(tenant, owner: owner, version: version).bytes)
    }

    private func unwrapDataKey(
        _ wrapped: [UInt8], tenant: TenantID, owner: DataKeyOwner, version: UInt32, under tenantKey: EnvelopeKey
    ) throws -> SymmetricKey {
        do {
            return try Envelope(bytes: wrapped).openSecret(
                with: tenantKey, associatedData: Self.dataKeyBinding(tenant, owner: owner, version: version).bytes)
        } catch let error as CryptoError {
            throw MemVaultError(
                .keyStoreCorrupted,
                "data key \(owner) v\(version) of tenant '\(tenant)' failed to unwrap (\(error.category)): "
                    + "the key store was modified or copied from elsewhere")
        }
    }

    private static func tenantKeyBinding(_ tenant: TenantID, version: UInt32) -> BindingContext {
        BindingContext(domain: "memvault.tenant-key.v1").with("tenant", tenant.rawValue).with("version", version)
    }

    private static func dataKeyBinding(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) -> BindingContext {
        BindingContext(domain: "memvault.data-key.v1").with("tenant", tenant.rawValue).with("owner", owner.keyID)
            .with("version", version)
    }

    // MARK: - Unwrapped key cache

    private func tenantKey(_ tenant: TenantID, version: UInt32) throws -> EnvelopeKey {
        let reference = TenantKeyReference(tenant: tenant, version: version)
        if let cached = cache.withLock({ $0.tenantKeys.value(forKey: reference) }) { return cached }
        let row = try store.read { reader in
            try requireTenant(reader, tenant)
            return try reader.tenantKey(tenant, version: version)
        }
        guard let row else { throw MemVaultError(.notFound, "tenant '\(tenant)' has no key version \(version)") }
        guard let wrapped = row.wrapped else {
            throw MemVaultError(.unknownKey, "tenant '\(tenant)' key version \(version) was retired")
        }
        let key: SymmetricKey
        do {
            key = try Envelope(bytes: wrapped).openSecret(
                with: masterWrappingKey, associatedData: Self.tenantKeyBinding(tenant, version: version).bytes)
        } catch let error as CryptoError {
            throw MemVaultError(
                .keyStoreCorrupted,
                "tenant '\(tenant)' key version \(version) failed to unwrap (\(error.category)): "
                    + "the key store was modified or copied from elsewhere")
        }
        let envelopeKey = try EnvelopeKey(keyID: Self.tenantKeyID, version: version, dataKey: key)
        cache.withLock { $0.tenantKeys.insert(envelopeKey, forKey: reference) }
        return envelopeKey
    }

    private func dataKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> EnvelopeKey {
        let reference = DataKeyReference(tenant: tenant, owner: owner, version: version)
        if let cached = cache.withLock({ $0.dataKeys.value(forKey: reference) }) { return cached }
        let row = try store.read { try $0.dataKey(tenant, owner: owner, version: version) }
        guard let row else {
            throw MemVaultError(
                .unknownKey,
                "tenant '\(tenant)' has no data key for \(owner) at version \(version) (never created, or destroyed)")
        }
        let key = try unwrapDataKey(
            row.wrapped, tenant: tenant, owner: owner, version: version,
            under: tenantKey(tenant, version: row.wrappedBy))
        let envelopeKey = try EnvelopeKey(keyID: owner.keyID, version: version, dataKey: key)
        cache.withLock { $0.dataKeys.insert(envelopeKey, forKey: reference) }
        return envelopeKey
    }

    // MARK: - Queries

    @discardableResult
    private func requireTenant(_ reader: any KeyStoreReader, _ tenant: TenantID) throws -> TenantKeyRecord {
        guard let record = try reader.tenant(tenant) else {
            throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)': create it with `memvault tenant create`")
        }
        return record
    }
}

/// ISO 8601 timestamps for key events; text so that the key store stays readable with the sqlite3 shell.
func timestamp(_ date: Date = .now) -> String {
    date.formatted(.iso8601)
}
