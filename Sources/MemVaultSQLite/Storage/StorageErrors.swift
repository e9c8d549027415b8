import GRDB
import MemVault

/// Maps SQLite failures to MemVault errors. The message keeps GRDB's description (the failing SQL, never the bound
/// values: GRDB hides statement arguments unless told otherwise) and never any record content.
func storageError(_ error: any Error, _ context: String) -> any Error {
    switch error {
    case let error as MemVaultError:
        return error
    case let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY:
        return MemVaultError(.notFound, "\(context): a referenced cube or subject does not exist")
    case let error as DatabaseError
    where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        || error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE:
        return MemVaultError(.conflict, "\(context): a record with this id already exists")
    case let error as DatabaseError:
        return MemVaultError(.storage, "\(context): \(error)")
    default:
        return error
    }
}

/// A stored value that does not decode: the files were edited, or written by something else.
func malformed(_ what: String) -> MemVaultError {
    MemVaultError(.integrity, "the database holds a malformed \(what); it was modified outside MemVault")
}

/// What may be logged of a storage error: SQLite's extended result code, never the description (which may quote
/// a statement).
enum SQLiteResult {
    static func code(of error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "-" }
        return "\(error.extendedResultCode.rawValue)"
    }
}
