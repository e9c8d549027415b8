import Foundation
import MemVaultAudit
import MemVaultPolicy

@testable import MemVault

/// Records as a backend receives them. The suite tests storage, not sealing: payloads and seals are opaque bytes
/// here, and a backend must give back exactly the bytes it was given.
enum Records {
    static var now: StoredTime { StoredTime(Date().timeIntervalSince1970 * 1_000) }

    static func bytes(_ count: Int = 24) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    static func subject() throws -> SubjectRecord {
        SubjectRecord(
            id: try SubjectID.random(), pseudonym: "psn_" + UUID().uuidString, externalID: bytes(), keyVersion: 1,
            createdAt: now)
    }

    static func cube(owner: SubjectID? = nil) throws -> CubeRecord {
        CubeRecord(
            id: try CubeID.make(), subject: owner, kind: "general", defaultCategory: "general", schemaVersion: 1,
            metadata: bytes(), keyVersion: 1, createdAt: now, updatedAt: now)
    }

    static func fields(status: MemoryStatus = .active, category: String = "general") -> MemoryFields {
        MemoryFields(
            status: status, type: .longTerm, category: category, source: .conversation, contentKind: .text,
            contentSize: 24, occurredAt: nil, validFrom: nil, validUntil: nil, createdAt: now, updatedAt: now)
    }

    static func memory(in cube: CubeRecord, status: MemoryStatus = .active) throws -> MemoryRecord {
        MemoryRecord(
            id: try MemoryID.make(), cube: cube.id, subject: cube.subject, version: 1, supersedes: nil,
            fields: fields(status: status), keyVersion: 1, payload: bytes())
    }

    /// The next version of `record`, as an update writes it.
    static func nextVersion(of record: MemoryRecord) -> MemoryRecord {
        var next = record
        next.version += 1
        next.supersedes = record.version
        next.payload = bytes()
        return next
    }

    static func consentChange(
        _ subject: SubjectID, purpose: String, state: ConsentState, previous: String?
    ) throws -> (ConsentChangeRecord, ConsentStateRecord) {
        let id = try SortableIdentifier.make(prefix: "cns_")
        let change = ConsentChangeRecord(
            id: id, subject: subject, purpose: purpose, state: state, changedAt: now, actor: "conformance",
            evidence: nil, keyVersion: nil, previous: previous, seal: bytes(32))
        let current = ConsentStateRecord(
            subject: subject, purpose: purpose, state: state, changedAt: now, changeID: id, seal: bytes(32))
        return (change, current)
    }

    static func hold(on target: HoldTarget) throws -> LegalHoldRecord {
        LegalHoldRecord(
            id: try SortableIdentifier.make(prefix: "hold_"), target: target, reason: bytes(), keyVersion: 1,
            setBy: "conformance", setAt: now, clearedBy: nil, clearedAt: nil, seal: bytes(32))
    }

    static func auditEntry(_ detail: String = "conformance") -> AuditEntry {
        AuditEntry(
            sequence: 0, time: now, actor: "conformance", role: "auditor", action: .audit, purpose: "",
            effect: .permit, detail: detail)
    }
}

/// A failure thrown on purpose inside a unit of work.
struct Abort: Error {}
