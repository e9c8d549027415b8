import MemVaultPolicy

/// Key events of the tenant, recorded in its audit log.
///
/// The key store and the tenant's database are separate files, so a key change and its audit entry cannot share a
/// transaction. The entry is written first (a change never happens without its entry); if the change then fails, a
/// second entry says so.
extension TenantStore {
    static let keyRoles: Set<Role> = [.administrator, .dataProtectionOfficer]

    /// Adds a tenant key version and makes it primary; returns the new version.
    @discardableResult
    public func rotateTenantKey() async throws -> UInt32 {
        try await keyEvent("rotate the tenant key", detail: "tenant key rotation") {
            try keys.rotateTenantKey(tenant)
        }
    }

    /// Re-wraps every data key under the primary tenant key version; returns how many were re-wrapped.
    @discardableResult
    public func rewrapDataKeys() async throws -> Int {
        try await keyEvent("re-wrap data keys", detail: "data key rewrap") { try keys.rewrapDataKeys(tenant) }
    }

    /// Destroys an old tenant key version no data key depends on.
    public func retireTenantKey(version: UInt32) async throws {
        try await keyEvent("retire tenant keys", detail: "tenant key v\(version) retirement") {
            try keys.retireTenantKey(tenant, version: version)
        }
    }

    private func keyEvent<T: Sendable>(
        _ what: String, detail: String, _ change: () throws -> T
    ) async throws -> T {
        try await audited("key") {
            let decision = try requireRole(Self.keyRoles, what)
            try await storage.appendAudit(draft("key", decision: decision, detail: detail))
            do {
                return try change()
            } catch {
                // Only the error's code goes into the log: its message is for the caller.
                let code = (error as? MemVaultError)?.code.name ?? "error"
                _ = try? await storage.appendAudit(
                    draft("key", decision: decision, detail: "\(detail) failed: \(code)"))
                throw error
            }
        }
    }
}
