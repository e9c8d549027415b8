import Logging
import MemVaultPolicy

/// Key events of the tenant, recorded in the installation's audit log (which outlives the tenant) and in the
/// tenant's own.
///
/// The key store is a separate file from both logs, so a key change and its entries cannot share a transaction.
/// The entries are written first (a change never happens without them); if the change then fails, further entries
/// say so, naming the error's code.
extension TenantStore {
    /// Adds a tenant key version and makes it primary; returns the new version.
    @discardableResult
    public func rotateTenantKey() async throws -> UInt32 {
        try await keyEvent(.rotateTenantKey, detail: "tenant key rotation") { try keys.rotateTenantKey(tenant) }
    }

    /// Re-wraps every data key under the primary tenant key version; returns how many were re-wrapped.
    @discardableResult
    public func rewrapDataKeys() async throws -> Int {
        try await keyEvent(.rewrapDataKeys, detail: "data key rewrap") { try keys.rewrapDataKeys(tenant) }
    }

    /// Destroys an old tenant key version no data key depends on.
    public func retireTenantKey(version: UInt32) async throws {
        try await keyEvent(.retireTenantKey, detail: "tenant key v\(version) retirement") {
            try keys.retireTenantKey(tenant, version: version)
        }
    }

    private func keyEvent<T: Sendable>(
        _ operation: StoreOperation, detail: String, _ change: () throws -> T
    ) async throws -> T {
        let admission: Admission
        do {
            admission = try await admit(operation)
        } catch let error as MemVaultError where error.code == .denied {
            try await resources.catalog.record(
                operation, context: context, decision: .roleDenied, detail: "tenant \(tenant)")
            throw error
        }
        let decision = admission.roleDecision ?? .roleDenied
        try await resources.catalog.record(
            operation, context: context, decision: decision, detail: "tenant \(tenant): \(detail)")
        try await perform(admission) { $0.detail = detail }
        do {
            let result = try change()
            logger.info("changed the tenant's keys", metadata: ["tenant": "\(tenant)", "event": "\(detail)"])
            return result
        } catch {
            // Only the error's code goes into the logs: its message is for the caller.
            let failure = "\(detail) failed: \((error as? MemVaultError)?.code.name ?? "error")"
            try? await resources.catalog.record(
                operation, context: context, decision: decision, detail: "tenant \(tenant): \(failure)")
            try? await perform(admission) { $0.detail = failure }
            throw error
        }
    }
}

extension TenantStore {
    /// The tenant key version that wraps new data keys (a number, not a secret; what `rewrap` moved keys onto).
    public func primaryKeyVersion() async throws -> UInt32 {
        try keys.status(tenant).first?.primaryVersion ?? 0
    }
}
