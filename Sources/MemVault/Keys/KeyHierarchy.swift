import Foundation
import GRDB
public import MemVaultCrypto
import Synchronization

/// The key hierarchy: master key → versioned tenant keys → per-subject and per-tenant data keys.
///
/// - The master key (from a `MasterKeyProvider`) wraps tenant keys. It never touches data.
/// - Tenant keys (key-encryption keys) wrap data keys. Rotation adds a version and makes it primary; `rewrap`
///   re-wraps data keys under the primary version without re-encrypting any data; a version no data key depends on
///   can be retired, which destroys it.
/// - Data keys encrypt content. Each is counted, and a new version is made long before the 2^32 random-nonce bound
///   of AES-GCM. Destroying a subject's data keys crypto-shreds that subject's data, backups included.
///
/// Wrapped keys live in the key store (a separate file from the data); unwrapped keys only in memory.
public final class KeyHierarchy: Sendable {
    public static let keyByteCount = 32

    public struct Configuration: Sendable {
        /// Encryptions after which a data key gets a new version. NIST SP 800-38D caps random 96-bit nonces at
        /// 2^32 messages per key; rotating at 2^31 keeps the collision probability below 2^-33.
        public var rotationThreshold: UInt64 = 1 << 31
        /// Encryptions reserved in the key store at a time, so counting costs one write per block, not per message.
        /// A crash loses at most one block of budget, never undercounts.
        public var reservationBlock: UInt64 = 4096

        public init() {}
    }

    public let configuration: Configuration
    /// Where the master key came from, for status output.
    public let masterKeySource: String
    private let store: KeyStore
    private let masterWrappingKey: EnvelopeKey
    /// Unwrapped keys, held briefly for lookups. Never held while waiting on `leases`.
    private let cache = Mutex(Cache())
    /// Encryption budget per owner; held across a reservation so one process reserves one block at a time.
    /// Lock order: `leases`, then `cache`.
    private let leases = Mutex([OwnerReference: Lease]())

    private struct Cache {
        var tenantKeys: [TenantKeyReference: EnvelopeKey] = [:]
        var dataKeys: [DataKeyReference: EnvelopeKey] = [:]
        var pseudonymizers: [TenantID: Pseudonymizer] = [:]
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

    /// A range of encryptions reserved in the key store for one data key version.
    private struct Lease {
        let version: UInt32
        var next: UInt64
        let end: UInt64
    }

    private init(store: KeyStore, masterKey: SymmetricKey, source: String, configuration: Configuration) throws {
        self.store = store
        self.configuration = configuration
        self.masterKeySource = source
        masterWrappingKey = try EnvelopeKey(
            keyID: "master", version: 1,
            dataKey: Self.derive(from: masterKey, purpose: "master wrapping key", byteCount: Self.keyByteCount))
    }

    // MARK: - Opening

    /// Creates a new key store at `path`, recording the master key's fingerprint.
    public static func create(
        keyStorePath path: String, masterKeyProvider provider: any MasterKeyProvider,
        configuration: Configuration = Configuration()
    ) throws -> KeyHierarchy {
        let masterKey = try provider.masterKey()
        let store = try KeyStore.open(path: path)
        let fingerprint = try Self.fingerprint(of: masterKey)
        try store.write { db in
            guard try String.fetchOne(db, sql: "SELECT value FROM key_store_metadata WHERE name = 'master_key'") == nil
            else { throw MemVaultError(.alreadyInitialised, "key store \(path) already exists") }
            try db.execute(
                sql: "INSERT INTO key_store_metadata (name, value) VALUES ('master_key', ?), ('created_at', ?)",
                arguments: [fingerprint, timestamp()])
        }
        return try KeyHierarchy(
            store: store, masterKey: masterKey, source: provider.source, configuration: configuration)
    }

    /// Opens an existing key store; a master key other than the one it was created with is refused.
    public static func open(
        keyStorePath path: String, masterKeyProvider provider: any MasterKeyProvider,
        configuration: Configuration = Configuration()
    ) throws -> KeyHierarchy {
        let masterKey = try provider.masterKey()
        let store = try KeyStore.open(path: path)
        let recorded = try store.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM key_store_metadata WHERE name = 'master_key'")
        }
        guard let recorded else {
            throw MemVaultError(.keyStoreCorrupted, "key store \(path) has no master key record")
        }
        guard ConstantTime.equals(Array(recorded.utf8), Array(try Self.fingerprint(of: masterKey).utf8)) else {
            throw MemVaultError(
                .wrongMasterKey,
                "the master key from \(provider.source) does not match this key store (authentication failed): "
                    + "use the master key this data folder was initialised with")
        }
        return try KeyHierarchy(
            store: store, masterKey: masterKey, source: provider.source, configuration: configuration)
    }

    /// A public, one-way identifier of the master key: HKDF output, so it reveals nothing about the key.
    private static func fingerprint(of masterKey: SymmetricKey) throws -> String {
        try derive(from: masterKey, purpose: "master key fingerprint", byteCount: 16).withUnsafeBytes { Hex.encode($0) }
    }

    private static func derive(from key: SymmetricKey, purpose: String, byteCount: Int) throws -> SymmetricKey {
        try HKDFSHA256.deriveKey(
            from: key, salt: Array("MemVault key hierarchy v1".utf8), info: Array(purpose.utf8),
            outputByteCount: byteCount)
    }

    // MARK: - Tenants

    /// Registers a tenant with tenant key version 1 and the tenant's shared data key.
    public func createTenant(_ tenant: TenantID) throws {
        let tenantKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let wrappedTenantKey = try wrapTenantKey(tenantKey, tenant: tenant, version: 1)
        let tenantEnvelopeKey = try EnvelopeKey(keyID: Self.tenantKeyID, version: 1, dataKey: tenantKey)
        let wrappedDataKey = try wrapDataKey(
            SymmetricKey.random(byteCount: Self.keyByteCount), tenant: tenant, owner: .tenant, version: 1,
            under: tenantEnvelopeKey)
        let wrappedPseudonymKey = try wrapDataKey(
            SymmetricKey.random(byteCount: Self.keyByteCount), tenant: tenant, owner: .pseudonyms, version: 1,
            under: tenantEnvelopeKey)
        try store.write { db in
            guard try !tenantExists(db, tenant) else {
                throw MemVaultError(.tenantExists, "tenant '\(tenant)' already exists")
            }
            let now = timestamp()
            try db.execute(
                sql: "INSERT INTO tenants (tenant_id, primary_key_version, created_at) VALUES (?, 1, ?)",
                arguments: [tenant.rawValue, now])
            try db.execute(
                sql: "INSERT INTO tenant_keys (tenant_id, version, wrapped_key, created_at) VALUES (?, 1, ?, ?)",
                arguments: [tenant.rawValue, Data(wrappedTenantKey.bytes), now])
            try insertDataKey(db, tenant, .tenant, version: 1, wrapped: wrappedDataKey, wrappedBy: 1)
            try insertDataKey(db, tenant, .pseudonyms, version: 1, wrapped: wrappedPseudonymKey, wrappedBy: 1)
        }
    }

    public func tenants() throws -> [TenantID] {
        try store.read { db in
            try String.fetchAll(db, sql: "SELECT tenant_id FROM tenants ORDER BY tenant_id").map(TenantID.init)
        }
    }

    /// Destroys every key of the tenant. All of its data, in any copy, becomes unreadable.
    public func destroyTenant(_ tenant: TenantID) throws {
        try store.write { db in
            try requireTenant(db, tenant)
            try db.execute(sql: "DELETE FROM data_keys WHERE tenant_id = ?", arguments: [tenant.rawValue])
            try db.execute(sql: "DELETE FROM tenant_keys WHERE tenant_id = ?", arguments: [tenant.rawValue])
            try db.execute(sql: "DELETE FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
        }
        leases.withLock { leases in
            leases = leases.filter { $0.key.tenant != tenant }
            cache.withLock { cache in
                cache.tenantKeys = cache.tenantKeys.filter { $0.key.tenant != tenant }
                cache.dataKeys = cache.dataKeys.filter { $0.key.tenant != tenant }
                cache.pseudonymizers.removeValue(forKey: tenant)
            }
        }
        try store.purgeLog()
    }

    // MARK: - Tenant key rotation

    /// Adds a tenant key version and makes it primary. Existing data keys stay wrapped by older versions until
    /// `rewrapDataKeys`; returns the new version.
    @discardableResult
    public func rotateTenantKey(_ tenant: TenantID) throws -> UInt32 {
        let tenantKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        return try store.write { db in
            try requireTenant(db, tenant)
            let latest =
                try UInt32.fetchOne(
                    db, sql: "SELECT MAX(version) FROM tenant_keys WHERE tenant_id = ?", arguments: [tenant.rawValue])
                ?? 0
            let version = latest + 1
            let wrapped = try wrapTenantKey(tenantKey, tenant: tenant, version: version)
            try db.execute(
                sql: "INSERT INTO tenant_keys (tenant_id, version, wrapped_key, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tenant.rawValue, version, Data(wrapped.bytes), timestamp()])
            try db.execute(
                sql: "UPDATE tenants SET primary_key_version = ? WHERE tenant_id = ?",
                arguments: [version, tenant.rawValue])
            return version
        }
    }

    /// Re-wraps every data key of the tenant under the primary tenant key version; data is not re-encrypted.
    /// Returns how many data keys were re-wrapped. Works in batches, so it can be interrupted and run again.
    @discardableResult
    public func rewrapDataKeys(_ tenant: TenantID, batchSize: Int = 500) throws -> Int {
        var total = 0
        while true {
            let stale = try store.read { db in
                try requireTenant(db, tenant)
                let primary = try primaryVersion(db, tenant)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT owner, version, wrapped_key, wrapped_by FROM data_keys
                        WHERE tenant_id = ? AND wrapped_by != ? LIMIT ?
                        """,
                    arguments: [tenant.rawValue, primary, batchSize])
                return (primary, rows)
            }
            guard !stale.1.isEmpty else { return total }
            let primaryKey = try tenantKey(tenant, version: stale.0)
            var rewrapped: [(owner: String, version: UInt32, wrapped: Envelope, previous: UInt32)] = []
            for row in stale.1 {
                let owner = try DataKeyOwner(keyID: row["owner"])
                let version: UInt32 = row["version"]
                let previous: UInt32 = row["wrapped_by"]
                let dataKey = try unwrapDataKey(
                    row["wrapped_key"], tenant: tenant, owner: owner, version: version,
                    under: tenantKey(tenant, version: previous))
                rewrapped.append(
                    (
                        owner.keyID, version,
                        try wrapDataKey(dataKey, tenant: tenant, owner: owner, version: version, under: primaryKey),
                        previous
                    ))
            }
            try store.write { db in
                for item in rewrapped {
                    // Guarded on the old version, so a concurrent rewrap of the same row is not overwritten.
                    try db.execute(
                        sql: """
                            UPDATE data_keys SET wrapped_key = ?, wrapped_by = ?
                            WHERE tenant_id = ? AND owner = ? AND version = ? AND wrapped_by = ?
                            """,
                        arguments: [
                            Data(item.wrapped.bytes), stale.0, tenant.rawValue, item.owner, item.version,
                            item.previous,
                        ])
                    total += db.changesCount
                }
            }
        }
    }

    /// Destroys an old tenant key version. Refused for the primary version and for a version still wrapping data
    /// keys (run `rewrapDataKeys` first), so retiring never makes data unreadable.
    public func retireTenantKey(_ tenant: TenantID, version: UInt32) throws {
        try store.write { db in
            try requireTenant(db, tenant)
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT retired_at FROM tenant_keys WHERE tenant_id = ? AND version = ?",
                    arguments: [tenant.rawValue, version])
            else {
                throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no key version \(version)")
            }
            guard row["retired_at"] as String? == nil else {
                throw MemVaultError(.invalidArgument, "tenant '\(tenant)' key version \(version) is already retired")
            }
            guard try primaryVersion(db, tenant) != version else {
                throw MemVaultError(
                    .keyInUse,
                    "version \(version) is the primary key of tenant '\(tenant)': rotate first "
                        + "(`memvault keys rotate --tenant \(tenant)`)")
            }
            let dependants =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM data_keys WHERE tenant_id = ? AND wrapped_by = ?",
                    arguments: [tenant.rawValue, version]) ?? 0
            guard dependants == 0 else {
                throw MemVaultError(
                    .keyInUse,
                    "\(dependants) data keys of tenant '\(tenant)' are still wrapped by version \(version): "
                        + "run `memvault keys rewrap --tenant \(tenant)` first")
            }
            try db.execute(
                sql: """
                    UPDATE tenant_keys SET wrapped_key = NULL, retired_at = ?
                    WHERE tenant_id = ? AND version = ?
                    """,
                arguments: [timestamp(), tenant.rawValue, version])
        }
        _ = cache.withLock { $0.tenantKeys.removeValue(forKey: TenantKeyReference(tenant: tenant, version: version)) }
        try store.purgeLog()
    }

    // MARK: - Data keys

    /// Creates version 1 of a data key for `owner` (a subject's first key; the tenant's exists from creation).
    public func createDataKey(_ tenant: TenantID, owner: DataKeyOwner) throws {
        let dataKey = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let primary = try store.read { db in
            try requireTenant(db, tenant)
            return try primaryVersion(db, tenant)
        }
        let wrapped = try wrapDataKey(
            dataKey, tenant: tenant, owner: owner, version: 1, under: tenantKey(tenant, version: primary))
        try store.write { db in
            guard try latestDataKey(db, tenant, owner) == nil else {
                throw MemVaultError(.conflict, "tenant '\(tenant)' already has a data key for \(owner)")
            }
            try insertDataKey(db, tenant, owner, version: 1, wrapped: wrapped, wrappedBy: primary)
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
        let version = try leases.withLock { leases in
            if var lease = leases[reference], lease.end - lease.next >= encryptions {
                lease.next += encryptions
                leases[reference] = lease
                return lease.version
            }
            let lease = try reserve(tenant, owner, encryptions: encryptions)
            leases[reference] = lease
            return lease.version
        }
        return try dataKey(tenant, owner: owner, version: version)
    }

    /// The data key version named by an envelope header, for decryption.
    public func decryptionKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> EnvelopeKey {
        try dataKey(tenant, owner: owner, version: version)
    }

    /// Crypto-shredding: destroys every version of the owner's data key. Returns how many versions were destroyed.
    @discardableResult
    public func destroyDataKeys(_ tenant: TenantID, owner: DataKeyOwner) throws -> Int {
        let destroyed = try store.write { db in
            try requireTenant(db, tenant)
            try db.execute(
                sql: "DELETE FROM data_keys WHERE tenant_id = ? AND owner = ?",
                arguments: [tenant.rawValue, owner.keyID])
            return db.changesCount
        }
        guard destroyed > 0 else {
            throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no data key for \(owner)")
        }
        leases.withLock { leases in
            leases.removeValue(forKey: OwnerReference(tenant: tenant, owner: owner))
            cache.withLock { cache in
                cache.dataKeys = cache.dataKeys.filter { !($0.key.tenant == tenant && $0.key.owner == owner) }
            }
        }
        try store.purgeLog()
        return destroyed
    }

    // MARK: - Status

    public func status(_ only: TenantID? = nil) throws -> [TenantKeyStatus] {
        try store.read { db in
            if let only { try requireTenant(db, only) }
            let tenants =
                try only.map { [$0] }
                ?? String.fetchAll(
                    db, sql: "SELECT tenant_id FROM tenants ORDER BY tenant_id"
                ).map(TenantID.init)
            return try tenants.map { tenant in
                let primary = try primaryVersion(db, tenant)
                let versions = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT k.version, k.created_at, k.retired_at,
                               (SELECT COUNT(*) FROM data_keys d
                                WHERE d.tenant_id = k.tenant_id AND d.wrapped_by = k.version) AS wrapped
                        FROM tenant_keys k WHERE k.tenant_id = ? ORDER BY k.version
                        """,
                    arguments: [tenant.rawValue]
                ).map { row in
                    let version: UInt32 = row["version"]
                    let retiredAt: String? = row["retired_at"]
                    return TenantKeyStatus.TenantKeyVersion(
                        version: version,
                        state: retiredAt != nil ? "retired" : version == primary ? "primary" : "active",
                        createdAt: row["created_at"], retiredAt: retiredAt, dataKeysWrapped: row["wrapped"])
                }
                let summary = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(DISTINCT owner) AS owners,
                               COUNT(DISTINCT CASE WHEN owner LIKE 'subject:%' THEN owner END) AS subjects,
                               COUNT(*) AS versions,
                               COALESCE(SUM(encryptions_reserved), 0) AS encryptions,
                               COALESCE(MAX(encryptions_reserved), 0) AS maximum
                        FROM data_keys WHERE tenant_id = ?
                        """,
                    arguments: [tenant.rawValue])!
                return TenantKeyStatus(
                    tenant: tenant, primaryVersion: primary, tenantKeys: versions,
                    dataKeys: .init(
                        owners: summary["owners"], subjects: summary["subjects"], versions: summary["versions"],
                        encryptions: summary["encryptions"], maximumEncryptionsPerKey: summary["maximum"],
                        rotationThreshold: configuration.rotationThreshold))
            }
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
        _ key: SymmetricKey, tenant: TenantID, owner: DataKeyOwner, version: UInt32, under tenantKey: EnvelopeKey
    ) throws -> Envelope {
        try Envelope.seal(
            secret: key, with: tenantKey,
            associatedData: Self.dataKeyBinding(tenant, owner: owner, version: version).bytes)
    }

    private func unwrapDataKey(
        _ wrapped: Data, tenant: TenantID, owner: DataKeyOwner, version: UInt32, under tenantKey: EnvelopeKey
    ) throws -> SymmetricKey {
        do {
            return try Envelope(bytes: Array(wrapped)).openSecret(
                with: tenantKey, associatedData: Self.dataKeyBinding(tenant, owner: owner, version: version).bytes)
        } catch let error as CryptoError {
            throw MemVaultError(
                .keyStoreCorrupted,
                "data key \(owner) v\(version) of tenant '\(tenant)' failed to unwrap (\(error)): "
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
        if let cached = cache.withLock({ $0.tenantKeys[reference] }) { return cached }
        let wrapped = try store.read { db in
            try requireTenant(db, tenant)
            return try Row.fetchOne(
                db, sql: "SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ? AND version = ?",
                arguments: [tenant.rawValue, version])
        }
        guard let wrapped else { throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no key version \(version)") }
        guard let bytes = wrapped["wrapped_key"] as Data? else {
            throw MemVaultError(.unknownKey, "tenant '\(tenant)' key version \(version) was retired")
        }
        let key: SymmetricKey
        do {
            key = try Envelope(bytes: Array(bytes)).openSecret(
                with: masterWrappingKey, associatedData: Self.tenantKeyBinding(tenant, version: version).bytes)
        } catch let error as CryptoError {
            throw MemVaultError(
                .keyStoreCorrupted,
                "tenant '\(tenant)' key version \(version) failed to unwrap (\(error)): "
                    + "the key store was modified or copied from elsewhere")
        }
        let envelopeKey = try EnvelopeKey(keyID: Self.tenantKeyID, version: version, dataKey: key)
        cache.withLock { $0.tenantKeys[reference] = envelopeKey }
        return envelopeKey
    }

    private func dataKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> EnvelopeKey {
        let reference = DataKeyReference(tenant: tenant, owner: owner, version: version)
        if let cached = cache.withLock({ $0.dataKeys[reference] }) { return cached }
        let row = try store.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT wrapped_key, wrapped_by FROM data_keys WHERE tenant_id = ? AND owner = ? AND version = ?",
                arguments: [tenant.rawValue, owner.keyID, version])
        }
        guard let row else {
            throw MemVaultError(
                .unknownKey, "tenant '\(tenant)' has no data key \(owner) v\(version) (never created, or destroyed)")
        }
        let key = try unwrapDataKey(
            row["wrapped_key"], tenant: tenant, owner: owner, version: version,
            under: tenantKey(tenant, version: row["wrapped_by"]))
        let envelopeKey = try EnvelopeKey(keyID: owner.keyID, version: version, dataKey: key)
        cache.withLock { $0.dataKeys[reference] = envelopeKey }
        return envelopeKey
    }

    /// The tenant's pseudonymizer, keyed by its pseudonym key (made here for tenants created before it existed).
    public func pseudonymizer(_ tenant: TenantID) throws -> Pseudonymizer {
        if let cached = cache.withLock({ $0.pseudonymizers[tenant] }) { return cached }
        let pseudonymizer = try Pseudonymizer(key: secret(tenant, owner: .pseudonyms, createIfMissing: true))
        cache.withLock { $0.pseudonymizers[tenant] = pseudonymizer }
        return pseudonymizer
    }

    /// The tenant's Ed25519 key for signing audit checkpoints (made on first use).
    public func auditSigningKey(_ tenant: TenantID) throws -> Ed25519.PrivateKey {
        try Ed25519.PrivateKey(seed: secret(tenant, owner: .auditSigning, createIfMissing: true))
    }

    /// The subject's audit pseudonym: an HMAC of its id under a secret derived from its first data key version.
    /// Stable for the subject's lifetime; once erasure destroys the subject's keys, old audit entries can no longer
    /// be linked to it, while the log still verifies.
    public func auditPseudonym(_ tenant: TenantID, subject: SubjectID) throws -> String {
        let secret = try secret(tenant, owner: .subject(subject), createIfMissing: false)
        let key = try HKDFSHA256.deriveKey(
            from: secret, salt: Array("MemVault audit pseudonym v1".utf8), info: Array(tenant.rawValue.utf8),
            outputByteCount: HMACSHA256.byteCount)
        let code = try HMACSHA256.authenticationCode(for: Array(subject.rawValue.utf8), using: key)
        return "apn_" + Hex.encode(code.prefix(16))
    }

    /// The raw secret of `owner`'s first data key version, for keys that derive rather than seal.
    private func secret(_ tenant: TenantID, owner: DataKeyOwner, createIfMissing: Bool) throws -> SymmetricKey {
        func fetch() throws -> Row? {
            try store.read { db in
                try requireTenant(db, tenant)
                return try Row.fetchOne(
                    db,
                    sql:
                        "SELECT wrapped_key, wrapped_by FROM data_keys WHERE tenant_id = ? AND owner = ? AND version = 1",
                    arguments: [tenant.rawValue, owner.keyID])
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
        return try unwrapDataKey(
            row["wrapped_key"], tenant: tenant, owner: owner, version: 1,
            under: tenantKey(tenant, version: row["wrapped_by"]))
    }

    // MARK: - Encryption budget

    /// Reserves a block of encryptions on the owner's newest data key, making a new version first if the block
    /// would pass the rotation threshold. Atomic in the key store, so processes sharing it never double-count.
    private func reserve(_ tenant: TenantID, _ owner: DataKeyOwner, encryptions: UInt64) throws -> Lease {
        let block = max(configuration.reservationBlock, encryptions)
        let threshold = configuration.rotationThreshold
        // A fresh key is prepared outside the transaction; it is used only if rotation turns out to be needed.
        let candidate = try SymmetricKey.random(byteCount: Self.keyByteCount)
        let primary = try store.read { db in
            try requireTenant(db, tenant)
            return try primaryVersion(db, tenant)
        }
        let wrappingKey = try tenantKey(tenant, version: primary)
        return try store.write { db in
            guard let latest = try latestDataKey(db, tenant, owner) else {
                throw MemVaultError(.unknownKey, "tenant '\(tenant)' has no data key for \(owner)")
            }
            var version = latest.version
            var reserved = latest.encryptionsReserved
            // The last block of a version may be short; rotate only when the request no longer fits at all.
            if threshold - min(reserved, threshold) < encryptions {
                version += 1
                reserved = 0
                let wrapped = try wrapDataKey(
                    candidate, tenant: tenant, owner: owner, version: version, under: wrappingKey)
                try insertDataKey(db, tenant, owner, version: version, wrapped: wrapped, wrappedBy: primary)
            }
            let end = min(reserved + block, threshold)
            try db.execute(
                sql: "UPDATE data_keys SET encryptions_reserved = ? WHERE tenant_id = ? AND owner = ? AND version = ?",
                arguments: [end, tenant.rawValue, owner.keyID, version])
            return Lease(version: version, next: reserved + encryptions, end: end)
        }
    }

    // MARK: - Queries

    private func tenantExists(_ db: Database, _ tenant: TenantID) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = ?)", arguments: [tenant.rawValue])
            ?? false
    }

    private func requireTenant(_ db: Database, _ tenant: TenantID) throws {
        guard try tenantExists(db, tenant) else {
            throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)': create it with `memvault tenant create`")
        }
    }

    private func primaryVersion(_ db: Database, _ tenant: TenantID) throws -> UInt32 {
        guard
            let version = try UInt32.fetchOne(
                db, sql: "SELECT primary_key_version FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
        else { throw MemVaultError(.unknownTenant, "unknown tenant '\(tenant)'") }
        return version
    }

    private func latestDataKey(
        _ db: Database, _ tenant: TenantID, _ owner: DataKeyOwner
    ) throws -> (version: UInt32, encryptionsReserved: UInt64)? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT version, encryptions_reserved FROM data_keys
                WHERE tenant_id = ? AND owner = ? ORDER BY version DESC LIMIT 1
                """,
            arguments: [tenant.rawValue, owner.keyID]
        ).map { ($0["version"], $0["encryptions_reserved"]) }
    }

    private func insertDataKey(
        _ db: Database, _ tenant: TenantID, _ owner: DataKeyOwner, version: UInt32, wrapped: Envelope,
        wrappedBy: UInt32
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO data_keys (tenant_id, owner, version, wrapped_key, wrapped_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [tenant.rawValue, owner.keyID, version, Data(wrapped.bytes), wrappedBy, timestamp()])
    }
}
