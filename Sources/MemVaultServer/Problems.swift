import MemVault

/// Errors as RFC 9457 problems: a status and MemVault's stable code. The message is the library's, which never
/// carries content, key material or raw subject identifiers; anything else is an internal error without detail.
enum Problems {
    static let unauthenticated = MemVaultError(
        .unauthenticated, "the credential is malformed, unknown, revoked or expired")
    static let unsupportedBody = MemVaultError(.invalidArgument, "the request body must be application/json")
    static let installationCredential = MemVaultError(
        .denied, "an installation credential does not act on a tenant's memories: use a credential of the tenant")

    /// How long a client over a storage quota is asked to wait: room comes from deletions or a larger quota.
    static let quotaRetryAfter = 60

    static func problem(for error: any Error) -> (Int, Components.Schemas.Problem) {
        if let limited = error as? RateLimited { return problem(for: limited.error) }
        guard let error = error as? MemVaultError else {
            return (500, make(500, "Internal error", "internal_error", "the server could not complete the request"))
        }
        let (status, title): (Int, String) =
            switch error.code {
            case .unauthenticated: (401, "Unauthenticated")
            case .denied: (403, "Denied")
            case .notFound, .unknownTenant: (404, "Not found")
            case .invalidArgument, .policyInvalid: (400, "Invalid request")
            case .conflict, .tenantExists, .keyInUse, .readOnly: (409, "Conflict")
            case .limitExceeded: (413, "Too large")
            case .rateLimited, .quotaExceeded: (429, "Too many requests")
            case .integrity: (500, "Integrity failure")
            case .embedderUnavailable, .storage, .unavailable: (503, "Unavailable")
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

/// An operation's output that can be a problem: every operation declares `default: Problem`, and its generated
/// `default` case is this requirement's witness.
protocol ProblemAnswer {
    static func `default`(statusCode: Int, _ problem: Components.Responses.Problem) -> Self
}

/// Runs an operation's body; any error it throws becomes the operation's problem answer.
func answering<Output: ProblemAnswer>(_ body: () async throws -> Output) async -> Output {
    do {
        return try await body()
    } catch {
        let (status, problem) = Problems.problem(for: error)
        let retryAfter: Int? =
            switch error {
            case let limited as RateLimited: limited.retryAfter
            case let error as MemVaultError where error.code == .quotaExceeded: Problems.quotaRetryAfter
            default: nil
            }
        return .default(
            statusCode: status, .init(headers: .init(retryAfter: retryAfter), body: .applicationProblemJson(problem)))
    }
}

extension Operations.GetKeyStatus.Output: ProblemAnswer {}
extension Operations.GetPortabilityKeys.Output: ProblemAnswer {}
extension Operations.ExportBundle.Output: ProblemAnswer {}
extension Operations.ImportBundle.Output: ProblemAnswer {}
extension Operations.ExportSubject.Output: ProblemAnswer {}
extension Operations.ImportMemOSDump.Output: ProblemAnswer {}
extension Operations.ImportMem0Export.Output: ProblemAnswer {}
extension Operations.ExportMemOSDump.Output: ProblemAnswer {}
extension Operations.PackModule.Output: ProblemAnswer {}
extension Operations.SignModule.Output: ProblemAnswer {}
extension Operations.TrustPublisher.Output: ProblemAnswer {}
extension Operations.InstallModule.Output: ProblemAnswer {}
extension Operations.UpgradeModule.Output: ProblemAnswer {}
extension Operations.UninstallModule.Output: ProblemAnswer {}
extension Operations.ListModules.Output: ProblemAnswer {}
extension Operations.RotateTenantKey.Output: ProblemAnswer {}
extension Operations.RewrapDataKeys.Output: ProblemAnswer {}
extension Operations.RetireTenantKey.Output: ProblemAnswer {}
extension Operations.ResolveSubject.Output: ProblemAnswer {}
extension Operations.GetSubject.Output: ProblemAnswer {}
extension Operations.ListSubjectMemories.Output: ProblemAnswer {}
extension Operations.GetConsentHistory.Output: ProblemAnswer {}
extension Operations.SetConsent.Output: ProblemAnswer {}
extension Operations.ListCubes.Output: ProblemAnswer {}
extension Operations.CreateCube.Output: ProblemAnswer {}
extension Operations.GetCube.Output: ProblemAnswer {}
extension Operations.DeleteCube.Output: ProblemAnswer {}
extension Operations.ListCubeMemories.Output: ProblemAnswer {}
extension Operations.AddMemories.Output: ProblemAnswer {}
extension Operations.GetMemory.Output: ProblemAnswer {}
extension Operations.UpdateMemory.Output: ProblemAnswer {}
extension Operations.DeleteMemory.Output: ProblemAnswer {}
extension Operations.GetMemoryHistory.Output: ProblemAnswer {}
extension Operations.ArchiveMemory.Output: ProblemAnswer {}
extension Operations.Search.Output: ProblemAnswer {}
extension Operations.ListHolds.Output: ProblemAnswer {}
extension Operations.SetHold.Output: ProblemAnswer {}
extension Operations.ClearHold.Output: ProblemAnswer {}
extension Operations.ListRestrictions.Output: ProblemAnswer {}
extension Operations.RestrictProcessing.Output: ProblemAnswer {}
extension Operations.LiftRestriction.Output: ProblemAnswer {}
extension Operations.ListErasureRequests.Output: ProblemAnswer {}
extension Operations.RequestErasure.Output: ProblemAnswer {}
extension Operations.GetErasureRequest.Output: ProblemAnswer {}
extension Operations.RunErasure.Output: ProblemAnswer {}
extension Operations.ExtendErasure.Output: ProblemAnswer {}
extension Operations.GetErasureReceipt.Output: ProblemAnswer {}
extension Operations.SweepRetention.Output: ProblemAnswer {}
extension Operations.ListAuditEntries.Output: ProblemAnswer {}
extension Operations.VerifyAudit.Output: ProblemAnswer {}
extension Operations.SignAuditCheckpoint.Output: ProblemAnswer {}
extension Operations.GetAuditVerifierKey.Output: ProblemAnswer {}
extension Operations.GetAuditInclusionProof.Output: ProblemAnswer {}
extension Operations.GetAuditConsistencyProof.Output: ProblemAnswer {}
extension Operations.GetProcessingRecords.Output: ProblemAnswer {}
extension Operations.ExplainPolicy.Output: ProblemAnswer {}
extension Operations.GetWhoAmI.Output: ProblemAnswer {}
extension Operations.ListTenants.Output: ProblemAnswer {}
extension Operations.CreateTenant.Output: ProblemAnswer {}
extension Operations.DeleteTenant.Output: ProblemAnswer {}
extension Operations.SetTenantPolicy.Output: ProblemAnswer {}
extension Operations.ListCredentials.Output: ProblemAnswer {}
extension Operations.CreateCredential.Output: ProblemAnswer {}
extension Operations.RevokeCredential.Output: ProblemAnswer {}
extension Operations.SetTenantQuotas.Output: ProblemAnswer {}
extension Operations.GetUsage.Output: ProblemAnswer {}
