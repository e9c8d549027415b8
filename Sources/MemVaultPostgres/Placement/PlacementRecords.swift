import MemVault
import PostgresNIO

/// Where a tenant's schema is: the catalog's `placements` row.
struct Placement: Sendable, Equatable {
    let server: String
    let schema: String
    /// The server a move under way copies the tenant to.
    let movingTo: String?
    /// The server still holding a moved tenant's old copy.
    let leftBehind: String?
}

/// The catalog's placement rows, read and written on the primary server's connections.
struct PlacementRecords {
    let connection: BlockingConnection

    private static let table = "\(SQLName.quoted(PostgresCatalogSchema.schema)).placements"

    func placement(of tenant: TenantID) throws -> Placement? {
        try connection.rows(
            PostgresQuery(
                unsafeSQL:
                    "SELECT server, schema_name, moving_to, left_behind FROM \(Self.table) WHERE tenant_id = $1",
                binds: PostgresBindings(text: tenant.rawValue)), "reading the tenant's placement"
        ).first.map { row in
            let columns = Columns(row.makeRandomAccess(), what: "tenant placement")
            return Placement(
                server: try columns["server"], schema: try columns["schema_name"], movingTo: try columns["moving_to"],
                leftBehind: try columns["left_behind"])
        }
    }

    /// Tenants placed on each server (a server without any is absent).
    func tenantsPerServer() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try connection.rows(
            PostgresQuery(unsafeSQL: "SELECT server, COUNT(*)::bigint AS tenants FROM \(Self.table) GROUP BY server"),
            "counting tenants per server")
        {
            let columns = Columns(row.makeRandomAccess(), what: "tenant placement")
            counts[try columns["server"]] = Int(try columns["tenants", as: Int64.self])
        }
        return counts
    }

    /// Places a new tenant; `false` if it already has a placement.
    func place(_ tenant: TenantID, on server: String, schema: String) throws -> Bool {
        try connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO \(Self.table) (tenant_id, server, schema_name) VALUES ($1, $2, $3)
                    ON CONFLICT (tenant_id) DO NOTHING
                    """, binds: PostgresBindings(text: tenant.rawValue, server, schema)), "placing the tenant") == 1
    }

    func remove(_ tenant: TenantID) throws {
        try connection.execute(
            PostgresQuery(
                unsafeSQL: "DELETE FROM \(Self.table) WHERE tenant_id = $1",
                binds: PostgresBindings(text: tenant.rawValue)),
            "removing the tenant's placement")
    }

    /// Records a move under way (a tenant without a placement row, from before placements, gets one).
    func startMove(_ tenant: TenantID, from placement: Placement, to server: String) throws {
        try connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO \(Self.table) (tenant_id, server, schema_name, moving_to) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (tenant_id) DO UPDATE SET moving_to = excluded.moving_to
                    """, binds: PostgresBindings(text: tenant.rawValue, placement.server, placement.schema, server)),
            "recording the tenant's move")
    }

    /// Points the catalog at the copy on `server`, remembering the old copy until it is removed. `false` if the
    /// placement is no longer the one the move started from.
    func switchMove(_ tenant: TenantID, from source: String, to server: String) throws -> Bool {
        try connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE \(Self.table) SET server = $2, moving_to = NULL, left_behind = $3
                    WHERE tenant_id = $1 AND server = $3 AND moving_to = $2
                    """, binds: PostgresBindings(text: tenant.rawValue, server, source)),
            "switching the tenant's placement") == 1
    }

    func clearLeftBehind(_ tenant: TenantID) throws {
        try connection.execute(
            PostgresQuery(
                unsafeSQL: "UPDATE \(Self.table) SET left_behind = NULL WHERE tenant_id = $1",
                binds: PostgresBindings(text: tenant.rawValue)), "forgetting the tenant's old copy")
    }
}
