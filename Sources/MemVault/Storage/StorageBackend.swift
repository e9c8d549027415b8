/// Where an installation's records live. SQLite (one database per tenant, `MemVaultSQLite`) is the embedded
/// default; a backend for a database server implements the same protocols and passes the same conformance suite.
///
/// ## Concurrency contract
///
/// - All reading and writing happens in *units of work*: a synchronous closure that the backend runs inside one
///   transaction, on the backend's own threads. The domain decides, acts and records inside one unit of work, so a
///   concurrent change (a legal hold, a consent withdrawal) can never slip between a decision and the act it permits.
///   A backend over an asynchronous driver blocks its own threads on the driver, never the caller's.
/// - The backend serialises units of work that write to one log (a tenant, or the catalog): at most one writes the
///   audit chain's head at a time, across every process sharing the storage. It reads the chain's tail inside each
///   transaction, so entries appended by another process are chained onto, never over.
/// - Several units of work may share one transaction (group commit). Each runs in its own savepoint: one that throws
///   changes nothing, and the others still commit. A unit's caller is resumed only after its transaction committed.
/// - Records reach a backend sealed: it never sees plaintext content, metadata or external subject ids, and it
///   never needs a key.
public protocol StorageBackend: Sendable {
    /// The installation's catalog: tenants with their lifecycle and policy, and the installation's audit log.
    var catalog: any CatalogStorage { get }
    /// Whether any storage exists for `tenant`, whether or not the catalog lists it (never overwritten).
    func hasTenantStorage(_ tenant: TenantID) throws -> Bool
    /// Creates the tenant's storage, empty; `conflict` if some already exists.
    func createTenantStorage(_ tenant: TenantID) async throws
    /// The tenant's storage, opened once per process and shared.
    func tenantStorage(_ tenant: TenantID) async throws -> any TenantStorage
    /// Closes and removes every byte of the tenant's storage; nothing if there is none.
    func removeTenantStorage(_ tenant: TenantID) async throws
    /// Completes pending writes, then closes everything cleanly; the backend cannot be used afterwards.
    func close() async throws
}

/// The storage of one tenant. Every record it returns belongs to that tenant: an id from another tenant is simply
/// not found.
public protocol TenantStorage: Sendable {
    var tenant: TenantID { get }
    /// Runs `body` as one unit of work (see `StorageBackend`): everything it reads, changes and appends to the
    /// audit log commits together, or not at all.
    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any TenantTransaction) throws -> T) async throws -> T
    /// A consistent read-only snapshot, for lookups that record nothing (internal caches) and for long reads of
    /// the append-only audit log (verification, proofs) that must not hold up writers.
    func read<T: Sendable>(_ body: @escaping @Sendable (any TenantReader) throws -> T) async throws -> T
    /// Makes what committed deletions removed unrecoverable from the storage's own files: afterwards no page, log
    /// frame or index segment still holds the bytes of a deleted record, blind term or embedding. Called after
    /// every unit of work that deleted memories; throws if the files could not be cleaned (the deletion itself
    /// stands, and the next call cleans what this one could not).
    func purgeDeleted() async throws
}

/// The installation's catalog.
public protocol CatalogStorage: Sendable {
    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any CatalogTransaction) throws -> T) async throws -> T
    func read<T: Sendable>(_ body: @escaping @Sendable (any CatalogReader) throws -> T) async throws -> T
}
