import MemVault
import PostgresNIO

/// The driver's and the server's errors as MemVault's. Only the SQLSTATE class is looked at: the server's message
/// and detail can quote values (a duplicate key's), so they never reach an error message or a log.
enum PostgresErrors {
    static func map(_ error: any Error, _ what: String) -> MemVaultError {
        if let error = error as? MemVaultError { return error }
        guard let error = error as? PSQLError else {
            return MemVaultError(.storage, "\(what) failed on PostgreSQL")
        }
        switch error.serverInfo?[.sqlState] {
        case "23505"?: return MemVaultError(.conflict, "\(what): the id or key is already taken")
        case "23503"?: return MemVaultError(.notFound, "\(what): a record it refers to does not exist")
        case "40001"?, "40P01"?:
            return MemVaultError(.unavailable, "\(what): PostgreSQL aborted a conflicting transaction; try again")
        case "42P01"?, "3F000"?:
            // The tenant's schema is gone from this server: moved to another (`PostgresTenantStorage` looks again).
            return MemVaultError(.unavailable, "\(what): the tenant's tables are not on this PostgreSQL server")
        case let state?: return MemVaultError(.storage, "\(what) failed on PostgreSQL (SQLSTATE \(state))")
        case nil: return MemVaultError(.unavailable, "\(what): \(describe(error))")
        }
    }

    /// The driver's error without the server's message: its code, and the SQLSTATE if the server sent one.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "the connection failed" }
        if let state = error.serverInfo?[.sqlState] { return "PostgreSQL refused (SQLSTATE \(state))" }
        return "the connection failed (\(error.code))"
    }
}
