import Foundation
import MemVaultCrypto
import MemVaultPolicy

/// Legal holds on subjects and cubes.
extension TenantStore {
    /// Puts a subject or a cube under legal hold: deletion, erasure and retention stop applying to it until cleared.
    public func setHold(on target: HoldTarget, reason: String) async throws -> LegalHold {
        try await audited("hold", subject: target.subject, cube: target.cube) {
            try await setHoldAudited(on: target, reason: reason)
        }
    }

    private func setHoldAudited(on target: HoldTarget, reason: String) async throws -> LegalHold {
        let decision = try requireRole([.administrator, .dataProtectionOfficer], "set legal holds")
        guard !reason.isEmpty else { throw MemVaultError(.invalidArgument, "a legal hold needs a reason") }
        try limits.checkText(reason, "the hold reason", limits.maximumDetailBytes)
        switch target {
        case .subject(let subject): _ = try await subjectRecord(subject)
        case .cube(let cube): _ = try await cubeContext(cube)
        }
        let id = try SortableIdentifier.make(prefix: "hold_")
        let key = try keys.encryptionKey(tenant, owner: .tenant)
        let record = LegalHoldRecord(
            id: id, target: target,
            reason: try Envelope.seal(
                Array(reason.utf8), with: key, associatedData: holdBinding(id, keyVersion: key.version)
            ).bytes,
            keyVersion: key.version, setBy: context.actor, setAt: StoredTime(now: .now), clearedBy: nil, clearedAt: nil)
        try await storage.insertHold(
            record,
            audit: draft("hold", subject: target.subject, cube: target.cube, decision: decision, detail: "set \(id)"))
        return try openHold(record)
    }

    public func clearHold(_ id: String) async throws -> LegalHold {
        try await audited("hold") { try await clearHoldAudited(id) }
    }

    private func clearHoldAudited(_ id: String) async throws -> LegalHold {
        let decision = try requireRole([.administrator, .dataProtectionOfficer], "clear legal holds")
        let audit = try await draft("hold", decision: decision, detail: "cleared \(id.prefix(40))")
        guard try await storage.clearHold(id, by: context.actor, at: StoredTime(now: .now), audit: audit) else {
            throw MemVaultError(.notFound, "no active legal hold '\(id.prefix(40))' in tenant '\(tenant)'")
        }
        guard let record = try await storage.holds(includeCleared: true).first(where: { $0.id == id }) else {
            throw MemVaultError(.notFound, "legal hold '\(id.prefix(40))' vanished")
        }
        return try openHold(record)
    }

    public func holds(includeCleared: Bool = false) async throws -> [LegalHold] {
        try await audited("hold") {
            let decision = try requireRole([.administrator, .dataProtectionOfficer], "list legal holds")
            let holds = try await storage.holds(includeCleared: includeCleared).map(openHold)
            try await storage.appendAudit(
                draft("hold", decision: decision, returned: UInt64(holds.count), detail: "list"))
            return holds
        }
    }

    private func openHold(_ record: LegalHoldRecord) throws -> LegalHold {
        let reason = try openSealed(
            record.reason, owner: .tenant, keyVersion: record.keyVersion,
            associatedData: holdBinding(record.id, keyVersion: record.keyVersion), what: "legal hold \(record.id)")
        return LegalHold(
            id: record.id, target: record.target, reason: String(decoding: reason, as: UTF8.self), setBy: record.setBy,
            setAt: record.setAt.date, clearedBy: record.clearedBy, clearedAt: record.clearedAt?.date)
    }
}
