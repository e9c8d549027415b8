import Logging
import MemVaultAudit
import MemVaultPolicy

extension MemoryStore {
    /// The backend's placement of tenants across database servers, if it has several (PostgreSQL).
    public var placement: (any TenantPlacement)? { backend as? any TenantPlacement }

    /// The database servers tenants can be placed on, with how many each holds. Administrators and auditors
    /// (`tenant list`'s roles); recorded in the installation log.
    public func servers(as context: AccessContext) async throws -> [ServerLoad] {
        guard let placement else {
            return try await catalog.perform(.listTenants, context: context) { work in
                work.detail = "servers"
                return []
            }
        }
        let decision = try await catalog.admit(.listTenants, context: context)
        let servers = try await placement.servers()
        try await catalog.record(
            .listTenants, context: context, decision: decision, returned: UInt64(servers.count), detail: "servers")
        return servers
    }

    /// Moves a tenant's storage to another database server (PostgreSQL only: `TenantPlacement`), with a short
    /// pause of its writes. Administrators only. The move is recorded in the installation log before it starts and
    /// when it is done, and in the tenant's own log, whose whole chain must verify on the new server afterwards
    /// (each table's copy is also checked against the original before the catalog switches).
    public func moveTenant(
        _ tenant: TenantID, to server: String, as context: AccessContext,
        progress: @escaping @Sendable (TenantMoveProgress) -> Void = { _ in }
    ) async throws -> TenantMove {
        let decision = try await catalog.admit(.moveTenant, context: context)
        // Bad input is refused before anything is recorded or touched: an unknown tenant or server.
        if let placement {
            guard try await catalog.entry(of: tenant).state == .active else { throw catalog.unknown(tenant) }
            guard try await placement.servers().contains(where: { $0.name == server }) else {
                throw MemVaultError(.invalidArgument, "no database server named '\(server)' is known to this server")
            }
        }
        try await catalog.record(
            .moveTenant, context: context, decision: decision, detail: "tenant \(tenant): move to \(server) started")
        guard let placement else {
            throw MemVaultError(
                .invalidArgument,
                "this installation keeps every tenant in its data folder: moving tenants between servers needs the "
                    + "PostgreSQL backend (docs/postgres.md)")
        }
        let auditor = AccessContext(actor: context.actor, role: context.role)
        let before = try await self.tenant(tenant, as: auditor).verifyAudit()
        guard before.isValid else {
            throw MemVaultError(
                .integrity, "tenant '\(tenant)''s audit log does not verify before the move: it is not moved")
        }
        let report = try await placement.moveTenant(tenant, to: server, progress: progress)
        let moved = try await self.tenant(tenant, as: auditor)
        try await moved.recordMove(report, context: context, decision: decision)
        let after = try await moved.verifyAudit()
        guard after.isValid, after.entries > before.entries else {
            throw MemVaultError(
                .integrity, "tenant '\(tenant)''s audit log does not verify on '\(server)' after the move")
        }
        try await catalog.record(
            .moveTenant, context: context, decision: decision,
            detail: "tenant \(tenant): moved from \(report.from) to \(report.to), \(report.rows) rows")
        logger.info(
            "moved a tenant", metadata: ["tenant": "\(tenant)", "from": "\(report.from)", "to": "\(report.to)"])
        return TenantMove(report: report, auditEntries: after.entries, auditRoot: after.root)
    }
}

/// A finished move: what the backend did, and the tenant's audit log verified on its new server.
public struct TenantMove: Sendable, Codable {
    public let report: TenantMoveReport
    /// Entries of the tenant's log, verified after the move (the move's own entry and the verification's
    /// included).
    public let auditEntries: UInt64
    public let auditRoot: String
}

extension TenantStore {
    /// The move's entry in the tenant's own log, appended on its new server under the installation's decision.
    func recordMove(_ report: TenantMoveReport, context: AccessContext, decision: AuditDecision) async throws {
        let entry = AuditEntry(
            sequence: 0, time: StoredTime(now: resources.now()), actor: context.actor, role: context.role.rawValue,
            action: StoreOperation.moveTenant.auditAction, purpose: "", effect: decision.effect,
            ruleIDs: decision.ruleIDs, policyRevision: decision.policyRevision, returned: UInt64(report.rows),
            detail: "tenant \(tenant): moved from \(report.from) to \(report.to)")
        _ = try await resources.storage.unitOfWork { try $0.appendAudit(entry) }
    }
}
