import Foundation
import GRDB
public import MemVault

/// The key store in its own SQLite file, apart from the data files (`DATA/keys/keystore.sqlite`).
///
/// `secure_delete` overwrites removed rows, and `purgeRemovedKeys` truncates the WAL, so a destroyed wrapped key
/// lingers neither in free pages nor in the log. Other processes (a server, the CLI) share the file: writes wait
/// for their lock instead of failing, and every commit is synced (`synchronous = FULL`).
public final class SQLiteKeyStorage: KeyStorage {
    private let database: DatabaseQueue
    private let path: String

    public init(path: String) throws {
        self.path = path
        try FilePermissions.prepareDatabaseFile(path, create: true)
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = true
        configuration.label = "MemVault key store"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try KeyStoreSchema.migrator.migrate(database)
        } catch {
            throw MemVaultError(.storage, "cannot open key store \(path): \(error)")
        }
    }

    public func read<T>(_ body: (any KeyStoreReader) throws -> T) throws -> T {
        try mapErrors { try database.read { try body(KeyStoreRecords(db: $0)) } }
    }

    public func write<T>(_ body: (any KeyStoreTransaction) throws -> T) throws -> T {
        try mapErrors { try database.write { try body(KeyStoreRecords(db: $0)) } }
    }

    /// SQLite's `data_version`: it changes when another connection (any process) commits to the file.
    public func changeCounter() throws -> UInt64 {
        try mapErrors {
            try database.writeWithoutTransaction { db in
                UInt64(try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0)
            }
        }
    }

    public func purgeRemovedKeys() throws {
        // VACUUM too: secure_delete does not reach the stale cell copies rebalancing leaves in a page's free gap.
        _ = try mapErrors {
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM")
                return try db.checkpoint(.truncate)
            }
        }
    }

    /// Closes the file cleanly (no `-wal` or `-shm` left behind).
    public func close() throws {
        try mapErrors {
            _ = try database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            try database.close()
        }
    }

    private func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MemVaultError {
            throw error
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw MemVaultError(.conflict, "key store: a key with this id and version already exists")
        } catch let error as DatabaseError {
            throw MemVaultError(.storage, "key store: \(error)")
        }
    }
}

/// The key store's rows as one transaction sees them.
private struct KeyStoreRecords: KeyStoreTransaction {
    let db: Database

    func metadata(_ name: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM key_store_metadata WHERE name = ?", arguments: [name])
    }

    func setMetadata(_ name: String, _ value: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO key_store_metadata (name, value) VALUES (?, ?)", arguments: [name, value])
    }

    func tenants() throws -> [TenantID] {
        try String.fetchAll(db, sql: "SELECT tenant_id FROM tenants ORDER BY tenant_id").map(TenantID.init)
    }

    func tenant(_ tenant: TenantID) throws -> TenantKeyRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue]).map {
            TenantKeyRecord(
                tenant: tenant, primaryVersion: $0["primary_key_version"],
                generation: UInt64($0["generation"] as Int64), createdAt: $0["created_at"])
        }
    }

    func generations() throws -> [TenantID: UInt64] {
        var result: [TenantID: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT tenant_id, generation FROM tenants") {
            result[try TenantID(row["tenant_id"] as String)] = UInt64(row["generation"] as Int64)
        }
        return result
    }

    func insertTenant(_ record: TenantKeyRecord) throws {
        try db.execute(
            sql: "INSERT INTO tenants (tenant_id, primary_key_version, generation, created_at) VALUES (?, ?, ?, ?)",
            arguments: [record.tenant.rawValue, record.primaryVersion, Int64(record.generation), record.createdAt])
    }

    func updateTenant(_ record: TenantKeyRecord) throws {
        try db.execute(
            sql: "UPDATE tenants SET primary_key_version = ?, generation = ? WHERE tenant_id = ?",
            arguments: [record.primaryVersion, Int64(record.generation), record.tenant.rawValue])
    }

    func deleteTenant(_ tenant: TenantID) throws {
        try db.execute(sql: "DELETE FROM data_keys WHERE tenant_id = ?", arguments: [tenant.rawValue])
        try db.execute(sql: "DELETE FROM tenant_keys WHERE tenant_id = ?", arguments: [tenant.rawValue])
        try db.execute(sql: "DELETE FROM tenants WHERE tenant_id = ?", arguments: [tenant.rawValue])
    }

    func tenantKey(_ tenant: TenantID, version: UInt32) throws -> TenantKeyVersionRecord? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM tenant_keys WHERE tenant_id = ? AND version = ?",
            arguments: [tenant.rawValue, version]
        ).map { Self.tenantKey(tenant, $0) }
    }

    func tenantKeys(_ tenant: TenantID) throws -> [TenantKeyVersionRecord] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM tenant_keys WHERE tenant_id = ? ORDER BY version", arguments: [tenant.rawValue]
        ).map { Self.tenantKey(tenant, $0) }
    }

    func insertTenantKey(_ record: TenantKeyVersionRecord) throws {
        try db.execute(
            sql:
                "INSERT INTO tenant_keys (tenant_id, version, wrapped_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                record.tenant.rawValue, record.version, record.wrapped.map { Data($0) }, record.createdAt,
                record.retiredAt,
            ])
    }

    func updateTenantKey(_ record: TenantKeyVersionRecord) throws {
        try db.execute(
            sql: "UPDATE tenant_keys SET wrapped_key = ?, retired_at = ? WHERE tenant_id = ? AND version = ?",
            arguments: [record.wrapped.map { Data($0) }, record.retiredAt, record.tenant.rawValue, record.version])
    }

    func dataKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> DataKeyRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM data_keys WHERE tenant_id = ? AND owner = ? AND version = ?"),
            arguments: [tenant.rawValue, owner.keyID, version]
        ).map { try Self.dataKey(tenant, $0) }
    }

    func latestDataKey(_ tenant: TenantID, owner: DataKeyOwner) throws -> DataKeyRecord? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM data_keys WHERE tenant_id = ? AND owner = ? ORDER BY version DESC LIMIT 1",
            arguments: [tenant.rawValue, owner.keyID]
        ).map { try Self.dataKey(tenant, $0) }
    }

    func dataKeys(_ tenant: TenantID, notWrappedBy version: UInt32, limit: Int) throws -> [DataKeyRecord] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM data_keys WHERE tenant_id = ? AND wrapped_by != ? LIMIT ?",
            arguments: [tenant.rawValue, version, limit]
        ).map { try Self.dataKey(tenant, $0) }
    }

    func dataKeys(_ tenant: TenantID) throws -> [DataKeyRecord] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM data_keys WHERE tenant_id = ? ORDER BY owner, version", arguments: [tenant.rawValue]
        ).map { try Self.dataKey(tenant, $0) }
    }

    func insertDataKey(_ record: DataKeyRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO data_keys (tenant_id, owner, version, wrapped_key, wrapped_by, encryptions_reserved,
                                       encryptions_done, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.tenant.rawValue, record.owner.keyID, record.version, Data(record.wrapped), record.wrappedBy,
                Int64(record.encryptionsReserved), Int64(record.encryptionsDone), record.createdAt,
            ])
    }

    func updateDataKey(_ record: DataKeyRecord, expectedWrappedBy: UInt32) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE data_keys SET wrapped_key = ?, wrapped_by = ?
                WHERE tenant_id = ? AND owner = ? AND version = ? AND wrapped_by = ?
                """,
            arguments: [
                Data(record.wrapped), record.wrappedBy, record.tenant.rawValue, record.owner.keyID, record.version,
                expectedWrappedBy,
            ])
        return db.changesCount > 0
    }

    func updateCounters(_ record: DataKeyRecord) throws {
        try db.execute(
            sql: """
                UPDATE data_keys SET encryptions_reserved = ?, encryptions_done = ?
                WHERE tenant_id = ? AND owner = ? AND version = ?
                """,
            arguments: [
                Int64(record.encryptionsReserved), Int64(record.encryptionsDone), record.tenant.rawValue,
                record.owner.keyID, record.version,
            ])
    }

    func deleteDataKeys(_ tenant: TenantID, owner: DataKeyOwner) throws -> Int {
        try db.execute(
            sql: "DELETE FROM data_keys WHERE tenant_id = ? AND owner = ?", arguments: [tenant.rawValue, owner.keyID])
        return db.changesCount
    }

    private static func tenantKey(_ tenant: TenantID, _ row: Row) -> TenantKeyVersionRecord {
        TenantKeyVersionRecord(
            tenant: tenant, version: row["version"], wrapped: (row["wrapped_key"] as Data?).map(Array.init),
            createdAt: row["created_at"], retiredAt: row["retired_at"])
    }

    private static func dataKey(_ tenant: TenantID, _ row: Row) throws -> DataKeyRecord {
        DataKeyRecord(
            tenant: tenant, owner: try DataKeyOwner(keyID: row["owner"]), version: row["version"],
            wrapped: Array(row["wrapped_key"] as Data), wrappedBy: row["wrapped_by"],
            encryptionsReserved: UInt64(row["encryptions_reserved"] as Int64),
            encryptionsDone: UInt64(row["encryptions_done"] as Int64), createdAt: row["created_at"])
    }
}
