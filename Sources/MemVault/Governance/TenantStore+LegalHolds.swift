import Foundation
import MemVaultCrypto
import MemVaultPolicy

/// Legal holds on subjects and cubes: each hold sealed, and all of them together matched by the tenant's sealed
/// hold registry, so a deleted, revived or retargeted hold is caught, never obeyed.
extension TenantStore {
    /// Puts a subject or a cube under legal hold: deletion, erasure and retention stop applying to it until cleared.
    public func setHold(on target: HoldTarget, reason: String) async throws -> LegalHold {
        guard !reason.isEmpty else { throw MemVaultError(.invalidArgument, "a legal hold needs a reason") }
        try limits.checkText(reason, "the hold reason", limits.maximumDetailBytes)
        let admission = try await admit(.setHold, subject: target.subject, cube: target.cube)
        let id = try SortableIdentifier.make(prefix: "hold_")
        let key = try keys.encryptionKey(tenant, owner: .tenant)
        let sealedReason = try Envelope.seal(
            Array(reason.utf8), with: key,
            associatedData: Bindings.holdReason(tenant, hold: id, keyVersion: key.version)
        ).bytes
        let actor = context.actor
        let record = try await perform(admission, subject: target.subject, cube: target.cube) { [self] work in
            switch target {
            case .subject(let subject): _ = try verifiedSubject(subject, in: work.transaction)
            case .cube(let cube): _ = try cubeContext(cube, in: work.transaction)
            }
            let existing = try currentHolds(in: work)
            let hold = try sealedHold(
                id: id, target: target, reason: sealedReason, keyVersion: key.version, setBy: actor,
                setAt: StoredTime(now: work.now), clearedBy: nil, clearedAt: nil)
            try work.transaction.insertHold(hold)
            try saveRegistry(existing.generation + 1, holds: existing.holds + [hold], in: work)
            work.detail = "set \(id)"
            return hold
        }
        // From now on the tenant's database must hold a registry (recorded after it exists, never before).
        try await resources.catalog.noteHolds(of: tenant, resources: resources)
        return try openHold(record)
    }

    public func clearHold(_ id: String) async throws -> LegalHold {
        guard SortableIdentifier.isValid(id, prefix: "hold_") else {
            throw MemVaultError(.invalidArgument, "invalid hold id: expected 'hold_' and 26 base32 characters")
        }
        let actor = context.actor
        let record = try await perform(.clearHold) { [self] work in
            let existing = try currentHolds(in: work)
            guard let hold = existing.holds.first(where: { $0.id == id }), hold.isActive else {
                throw MemVaultError(.notFound, "no active legal hold '\(id)' in tenant '\(tenant)'")
            }
            let cleared = try sealedHold(
                id: hold.id, target: hold.target, reason: hold.reason, keyVersion: hold.keyVersion, setBy: hold.setBy,
                setAt: hold.setAt, clearedBy: actor, clearedAt: StoredTime(now: work.now))
            guard try work.transaction.updateHold(cleared) else {
                throw MemVaultError(.notFound, "no active legal hold '\(id)' in tenant '\(tenant)'")
            }
            try saveRegistry(
                existing.generation + 1, holds: existing.holds.map { $0.id == id ? cleared : $0 }, in: work)
            work.subject = hold.target.subject
            work.cube = hold.target.cube
            work.detail = "cleared \(id)"
            return cleared
        }
        return try openHold(record)
    }

    public func holds(includeCleared: Bool = false) async throws -> [LegalHold] {
        try await perform(.listHolds) { [self] work in
            let holds = try currentHolds(in: work).holds.filter { includeCleared || $0.isActive }.map(openHold)
            work.returned = UInt64(holds.count)
            work.detail = "list"
            return holds
        }
    }

    private func currentHolds(in work: TenantWork) throws -> (generation: UInt64, holds: [LegalHoldRecord]) {
        let markers = try work.currentMarkers()
        return (markers.generation, markers.holds)
    }

    private func saveRegistry(_ generation: UInt64, holds: [LegalHoldRecord], in work: TenantWork) throws {
        // The restrictions were verified with the holds by `currentHolds`, earlier in this unit.
        try work.saveMarkers(
            generation, holds: holds, restrictions: try work.transaction.restrictions(includeLifted: true))
    }

    private func sealedHold(
        id: String, target: HoldTarget, reason: [UInt8], keyVersion: UInt32, setBy: String, setAt: StoredTime,
        clearedBy: String?, clearedAt: StoredTime?
    ) throws -> LegalHoldRecord {
        let unsealed = LegalHoldRecord(
            id: id, target: target, reason: reason, keyVersion: keyVersion, setBy: setBy, setAt: setAt,
            clearedBy: clearedBy, clearedAt: clearedAt, seal: [])
        return LegalHoldRecord(
            id: id, target: target, reason: reason, keyVersion: keyVersion, setBy: setBy, setAt: setAt,
            clearedBy: clearedBy, clearedAt: clearedAt,
            seal: try resources.integrity.seal(Bindings.hold(tenant, unsealed)))
    }

    private func openHold(_ record: LegalHoldRecord) throws -> LegalHold {
        let reason = try openSealed(
            record.reason, owner: .tenant, keyVersion: record.keyVersion,
            associatedData: Bindings.holdReason(tenant, hold: record.id, keyVersion: record.keyVersion),
            what: "legal hold \(record.id)")
        return LegalHold(
            id: record.id, target: record.target, reason: String(decoding: reason, as: UTF8.self), setBy: record.setBy,
            setAt: record.setAt.date, clearedBy: record.clearedBy, clearedAt: record.clearedAt?.date)
    }
}
