public import Logging
public import MemVault
import PostgresNIO

/// The key store in its own schema (`memvault_keys`) on the catalog's server: wrapped keys only; the master key
/// stays with each server (its key file, environment or KMS). `KeyStorage` is synchronous and short, so each call
/// runs on one connection kept for the key store (`SerialConnection`), in its own transaction; writes take the key store's advisory
/// lock, so every server's writes are serialised, and bump a change counter that other servers read to notice a
/// destroyed or rotated key.
public final class PostgresKeyStorage: KeyStorage {
    static let schema = "memvault_keys"
    private static let lock = AdvisoryLock.key("keys")

    private let connection: SerialConnection

    public init(url: PostgresURL, logger: Logger = Logger(label: "memvault.postgres")) throws {
        connection = SerialConnection(url: url, logger: logger)
        try connection.run { try PostgresMigrator.migrate($0, schema: Self.schema, migrations: Self.migrations) }
    }

    public func read<T>(_ body: (any KeyStoreReader) throws -> T) throws -> T {
        try connection.run { connection in
            try PostgresWorkers.inTransaction(connection, schema: Self.schema, lock: nil, readOnly: true) {
                try body(KeyStoreRecords(connection: connection))
            }
        }
    }

    public func write<T>(_ body: (any KeyStoreTransaction) throws -> T) throws -> T {
        try connection.run { connection in
            try PostgresWorkers.inTransaction(connection, schema: Self.schema, lock: Self.lock, readOnly: false) {
                let result = try body(KeyStoreRecords(connection: connection))
                try connection.execute("UPDATE key_store_changes SET counter = counter + 1", "recording a key change")
                return result
            }
        }
    }

    public func changeCounter() throws -> UInt64 {
        try connection.run { connection in
            let rows = try connection.rows(
                "SELECT counter FROM memvault_keys.key_store_changes", "reading the key store's change counter")
            guard let row = rows.first else { throw malformed("key store change counter") }
            return UInt64(bitPattern: try Columns(row.makeRandomAccess(), what: "key store")["counter", as: Int64.self])
        }
    }

    /// Removed rows are dead tuples until vacuumed: VACUUM FULL rewrites the tables from the live rows only.
    public func purgeRemovedKeys() throws {
        // Waited for between calls, not holding the shared connection: a transaction waited for may need it.
        let horizon = try connection.run { try OlderSnapshots.horizon($0) }
        try OlderSnapshots.awaitEnd { try connection.run { try OlderSnapshots.older(than: horizon, on: $0) } }
        try connection.run { connection in
            for table in ["data_keys", "tenant_keys", "tenants"] {
                try connection.execute(
                    PostgresQuery(unsafeSQL: "VACUUM FULL \(SQLName.quoted(Self.schema)).\(table)"),
                    "cleaning the key store")
            }
        }
    }

    public func close() {
        connection.close()
    }

    static let migrations = [
        PostgresMigration(
            name: "v1",
            statements: [
                "CREATE TABLE key_store_metadata (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE key_store_changes (id INTEGER PRIMARY KEY CHECK (id = 1), counter BIGINT NOT NULL)",
                "INSERT INTO key_store_changes (id, counter) VALUES (1, 0)",
                """
                CREATE TABLE tenants (
                    tenant_id TEXT PRIMARY KEY,
                    primary_key_version BIGINT NOT NULL,
                    generation BIGINT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE tenant_keys (
                    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
                    version BIGINT NOT NULL CHECK (version > 0),
                    wrapped_key BYTEA,
                    created_at TEXT NOT NULL,
                    retired_at TEXT,
                    CHECK ((wrapped_key IS NULL) = (retired_at IS NOT NULL)),
                    PRIMARY KEY (tenant_id, version)
                )
                """,
                """
                CREATE TABLE data_keys (
                    tenant_id TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    version BIGINT NOT NULL CHECK (version > 0),
                    wrapped_key BYTEA NOT NULL,
                    wrapped_by BIGINT NOT NULL,
                    encryptions_reserved BIGINT NOT NULL DEFAULT 0 CHECK (encryptions_reserved >= 0),
                    encryptions_done BIGINT NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, owner, version),
                    FOREIGN KEY (tenant_id, wrapped_by) REFERENCES tenant_keys (tenant_id, version)
                )
                """,
                "CREATE INDEX data_keys_by_wrapping_key ON data_keys (tenant_id, wrapped_by)",
            ]
                + UnsampledColumns.statements(["tenant_keys": ["wrapped_key"], "data_keys": ["owner", "wrapped_key"]]))
    ]
}

/// The key store's rows as one transaction sees them.
private struct KeyStoreRecords: KeyStoreTransaction {
    let connection: BlockingConnection

    private func rows(_ query: PostgresQuery, _ what: String = "reading the key store") throws -> [Columns] {
        try connection.rows(query, what).map { Columns($0.makeRandomAccess(), what: what) }
    }

    private func execute(_ query: PostgresQuery, _ what: String = "writing the key store") throws -> Int {
        try connection.execute(query, what)
    }

    func metadata(_ name: String) throws -> String? {
        try rows("SELECT value FROM key_store_metadata WHERE name = \(name)").first?["value"]
    }

    func setMetadata(_ name: String, _ value: String) throws {
        _ = try execute(
            """
            INSERT INTO key_store_metadata (name, value) VALUES (\(name), \(value))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """)
    }

    func tenants() throws -> [TenantID] {
        try rows("SELECT tenant_id FROM tenants ORDER BY tenant_id").map { try TenantID(try $0["tenant_id"]) }
    }

    func tenant(_ tenant: TenantID) throws -> TenantKeyRecord? {
        try rows("SELECT * FROM tenants WHERE tenant_id = \(tenant.rawValue)").first.map {
            TenantKeyRecord(
                tenant: tenant, primaryVersion: try Self.version($0, "primary_key_version"),
                generation: UInt64(bitPattern: try $0["generation", as: Int64.self]), createdAt: try $0["created_at"])
        }
    }

    func generations() throws -> [TenantID: UInt64] {
        var result: [TenantID: UInt64] = [:]
        for row in try rows("SELECT tenant_id, generation FROM tenants") {
            result[try TenantID(try row["tenant_id"])] = UInt64(bitPattern: try row["generation", as: Int64.self])
        }
        return result
    }

    func insertTenant(_ record: TenantKeyRecord) throws {
        _ = try execute(
            """
            INSERT INTO tenants (tenant_id, primary_key_version, generation, created_at)
            VALUES (\(record.tenant.rawValue), \(Int64(record.primaryVersion)),
                    \(Int64(bitPattern: record.generation)), \(record.createdAt))
            """)
    }

    func updateTenant(_ record: TenantKeyRecord) throws {
        _ = try execute(
            """
            UPDATE tenants SET primary_key_version = \(Int64(record.primaryVersion)),
                generation = \(Int64(bitPattern: record.generation))
            WHERE tenant_id = \(record.tenant.rawValue)
            """)
    }

    func deleteTenant(_ tenant: TenantID) throws {
        _ = try execute("DELETE FROM data_keys WHERE tenant_id = \(tenant.rawValue)")
        _ = try execute("DELETE FROM tenant_keys WHERE tenant_id = \(tenant.rawValue)")
        _ = try execute("DELETE FROM tenants WHERE tenant_id = \(tenant.rawValue)")
    }

    func tenantKey(_ tenant: TenantID, version: UInt32) throws -> TenantKeyVersionRecord? {
        try rows("SELECT * FROM tenant_keys WHERE tenant_id = \(tenant.rawValue) AND version = \(Int64(version))")
            .first.map { try Self.tenantKey(tenant, $0) }
    }

    func tenantKeys(_ tenant: TenantID) throws -> [TenantKeyVersionRecord] {
        try rows("SELECT * FROM tenant_keys WHERE tenant_id = \(tenant.rawValue) ORDER BY version").map {
            try Self.tenantKey(tenant, $0)
        }
    }

    func insertTenantKey(_ record: TenantKeyVersionRecord) throws {
        _ = try execute(
            """
            INSERT INTO tenant_keys (tenant_id, version, wrapped_key, created_at, retired_at)
            VALUES (\(record.tenant.rawValue), \(Int64(record.version)), \(record.wrapped.map(bytea)),
                    \(record.createdAt), \(record.retiredAt))
            """)
    }

    func updateTenantKey(_ record: TenantKeyVersionRecord) throws {
        _ = try execute(
            """
            UPDATE tenant_keys SET wrapped_key = \(record.wrapped.map(bytea)), retired_at = \(record.retiredAt)
            WHERE tenant_id = \(record.tenant.rawValue) AND version = \(Int64(record.version))
            """)
    }

    func dataKey(_ tenant: TenantID, owner: DataKeyOwner, version: UInt32) throws -> DataKeyRecord? {
        try rows(
            """
            SELECT * FROM data_keys
            WHERE tenant_id = \(tenant.rawValue) AND owner = \(owner.keyID) AND version = \(Int64(version))
            """
        ).first.map { try Self.dataKey(tenant, $0) }
    }

    func latestDataKey(_ tenant: TenantID, owner: DataKeyOwner) throws -> DataKeyRecord? {
        try rows(
            """
            SELECT * FROM data_keys WHERE tenant_id = \(tenant.rawValue) AND owner = \(owner.keyID)
            ORDER BY version DESC LIMIT 1
            """
        ).first.map { try Self.dataKey(tenant, $0) }
    }

    func dataKeys(_ tenant: TenantID, notWrappedBy version: UInt32, limit: Int) throws -> [DataKeyRecord] {
        try rows(
            """
            SELECT * FROM data_keys WHERE tenant_id = \(tenant.rawValue) AND wrapped_by <> \(Int64(version))
            LIMIT \(limit)
            """
        ).map { try Self.dataKey(tenant, $0) }
    }

    func dataKeys(_ tenant: TenantID) throws -> [DataKeyRecord] {
        try rows("SELECT * FROM data_keys WHERE tenant_id = \(tenant.rawValue) ORDER BY owner, version").map {
            try Self.dataKey(tenant, $0)
        }
    }

    func insertDataKey(_ record: DataKeyRecord) throws {
        _ = try execute(
            """
            INSERT INTO data_keys (tenant_id, owner, version, wrapped_key, wrapped_by, encryptions_reserved,
                                   encryptions_done, created_at)
            VALUES (\(record.tenant.rawValue), \(record.owner.keyID), \(Int64(record.version)),
                    \(bytea(record.wrapped)), \(Int64(record.wrappedBy)),
                    \(Int64(bitPattern: record.encryptionsReserved)), \(Int64(bitPattern: record.encryptionsDone)),
                    \(record.createdAt))
            """)
    }

    func updateDataKey(_ record: DataKeyRecord, expectedWrappedBy: UInt32) throws -> Bool {
        try execute(
            """
            UPDATE data_keys SET wrapped_key = \(bytea(record.wrapped)), wrapped_by = \(Int64(record.wrappedBy))
            WHERE tenant_id = \(record.tenant.rawValue) AND owner = \(record.owner.keyID)
              AND version = \(Int64(record.version)) AND wrapped_by = \(Int64(expectedWrappedBy))
            """) > 0
    }

    func updateCounters(_ record: DataKeyRecord) throws {
        _ = try execute(
            """
            UPDATE data_keys SET encryptions_reserved = \(Int64(bitPattern: record.encryptionsReserved)),
                encryptions_done = \(Int64(bitPattern: record.encryptionsDone))
            WHERE tenant_id = \(record.tenant.rawValue) AND owner = \(record.owner.keyID)
              AND version = \(Int64(record.version))
            """)
    }

    func deleteDataKeys(_ tenant: TenantID, owner: DataKeyOwner) throws -> Int {
        try execute("DELETE FROM data_keys WHERE tenant_id = \(tenant.rawValue) AND owner = \(owner.keyID)")
    }

    private static func version(_ row: Columns, _ column: String) throws -> UInt32 {
        guard let version = UInt32(exactly: try row[column, as: Int64.self]) else { throw malformed(column) }
        return version
    }

    private static func tenantKey(_ tenant: TenantID, _ row: Columns) throws -> TenantKeyVersionRecord {
        TenantKeyVersionRecord(
            tenant: tenant, version: try version(row, "version"), wrapped: try row.optionalBytes("wrapped_key"),
            createdAt: try row["created_at"], retiredAt: try row["retired_at"])
    }

    private static func dataKey(_ tenant: TenantID, _ row: Columns) throws -> DataKeyRecord {
        DataKeyRecord(
            tenant: tenant, owner: try DataKeyOwner(keyID: try row["owner"]), version: try version(row, "version"),
            wrapped: try row.bytes("wrapped_key"), wrappedBy: try version(row, "wrapped_by"),
            encryptionsReserved: UInt64(bitPattern: try row["encryptions_reserved", as: Int64.self]),
            encryptionsDone: UInt64(bitPattern: try row["encryptions_done", as: Int64.self]),
            createdAt: try row["created_at"])
    }
}
