/// A backend that spreads tenants over several database servers (PostgreSQL's): the catalog says where each
/// tenant lives, new tenants go to the least loaded server, and a tenant can be moved to another server with a short
/// pause of its writes. SQLite keeps every tenant in one data folder and does not offer it.
public protocol TenantPlacement: StorageBackend {
    /// The servers this process can reach, with how many tenants each holds.
    func servers() async throws -> [ServerLoad]
    /// The server that holds `tenant`'s storage.
    func server(of tenant: TenantID) async throws -> String
    /// Copies the tenant's storage to `server` while its writers wait, checks the copy table by table, switches the
    /// catalog to it and removes the old copy. Resumable: a move interrupted anywhere is finished or redone by
    /// running it again. `progress` hears each table as it is copied.
    func moveTenant(
        _ tenant: TenantID, to server: String, progress: @escaping @Sendable (TenantMoveProgress) -> Void
    ) async throws -> TenantMoveReport
}

/// A server tenants can be placed on.
public struct ServerLoad: Sendable, Codable, Equatable {
    public let name: String
    /// Tenants placed on it (a tenant being moved counts where it is still read from).
    public let tenants: Int

    public init(name: String, tenants: Int) {
        self.name = name
        self.tenants = tenants
    }
}

/// One table copied during a move.
public struct TenantMoveProgress: Sendable {
    public let table: String
    public let rows: Int
    public let tablesDone: Int
    public let tables: Int

    public init(table: String, rows: Int, tablesDone: Int, tables: Int) {
        self.table = table
        self.rows = rows
        self.tablesDone = tablesDone
        self.tables = tables
    }
}

/// What a move did, measured: the tenant's writes waited for `pauseMilliseconds` (the copy and its check), the
/// whole move took `totalMilliseconds`.
public struct TenantMoveReport: Sendable, Codable, Equatable {
    public let tenant: String
    public let from: String
    public let to: String
    public let tables: Int
    public let rows: Int
    public let auditEntries: Int
    public let pauseMilliseconds: Double
    public let totalMilliseconds: Double

    public init(
        tenant: String, from: String, to: String, tables: Int, rows: Int, auditEntries: Int,
        pauseMilliseconds: Double, totalMilliseconds: Double
    ) {
        self.tenant = tenant
        self.from = from
        self.to = to
        self.tables = tables
        self.rows = rows
        self.auditEntries = auditEntries
        self.pauseMilliseconds = pauseMilliseconds
        self.totalMilliseconds = totalMilliseconds
    }
}
