import MemVault

/// Errors as RFC 9457 problems: a status and MemVault's stable code. The message is the library's, which never
/// carries content, key material or raw subject identifiers; anything else is an internal error without detail.
enum Problems {
    static let unauthenticated = MemVaultError(
        .unauthenticated, "the credential is malformed, unknown, revoked or expired")
    static let unsupportedBody = MemVaultError(.invalidArgument, "the request body must be application/json")

    static func problem(for error: any Error) -> (Int, Components.Schemas.Problem) {
        guard let error = error as? MemVaultError else {
            return (500, make(500, "Internal error", "internal_error", "the server could not complete the request"))
        }
        let (status, title): (Int, String) =
            switch error.code {
            case .unauthenticated: (401, "Unauthenticated")
            case .denied: (403, "Denied")
            case .notFound, .unknownTenant: (404, "Not found")
            case .invalidArgument, .policyInvalid: (400, "Invalid request")
            case .conflict, .tenantExists: (409, "Conflict")
            case .limitExceeded: (413, "Too large")
            case .integrity: (500, "Integrity failure")
            case .embedderUnavailable, .storage: (503, "Unavailable")
            default: (500, "Internal error")
            }
        return (status, make(status, title, error.code.name, error.message))
    }

    private static func make(_ status: Int, _ title: String, _ code: String, _ detail: String)
        -> Components.Schemas.Problem
    {
        .init(
            _type: "https://memvault.dev/problems/\(code)", title: title, status: status, detail: detail, code: code)
    }
}
