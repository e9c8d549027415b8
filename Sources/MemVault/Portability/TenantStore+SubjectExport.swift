public import Foundation
import MemVaultAudit
public import MemVaultPolicy

/// Everything the tenant holds about one subject, in the clear, for the subject's right of access (GDPR Art. 15)
/// and to data portability (Art. 20): the subject's cubes with every memory, version and embedding, consent history,
/// restrictions, the legal holds that concern it, its erasure requests, what the policy says about the processing,
/// and a signed audit checkpoint covering the export's own entries. JSON, `formatVersion` 1 (docs/portability.md).
public struct SubjectExport: Sendable, Codable {
    public static let formatVersion = 1

    /// A legal hold as the subject sees it: that one applies and since when. The reason is the controller's (Art.
    /// 15(4), 23(1)(j): legal claims), so it is left out.
    public struct Hold: Sendable, Codable {
        public let id: String
        public let target: String
        public let setAt: Date
        public let clearedAt: Date?
    }

    public let formatVersion: Int
    public let tenant: TenantID
    public let subject: SubjectID
    public let externalID: String
    public let exportedAt: Date
    public let cubes: [PortableCube]
    /// Memories the policy kept back, and why.
    public let withheld: [Withheld]
    public let consent: [ConsentRecord]
    public let restrictions: [Restriction]
    public let holds: [Hold]
    public let erasureRequests: [ErasureRequest]
    /// The purposes, legal bases, categories and retention the policy declares, and the controller's details.
    public let processing: ProcessingRecords
    /// A signed checkpoint of the tenant's audit log covering this export's entries.
    public let auditCheckpoint: String
    /// SHA-256 of the cubes' portable JSON, as the export's audit entry records it.
    public let contentHash: String
}

extension TenantStore {
    /// The subject's access and portability export. The memories are read, decided (an `export` each) and recorded
    /// in one unit of work; consent, restrictions, holds and erasure requests are read by their own operations (each
    /// recorded), then a checkpoint is signed over all of it. Meant for the data-protection officer.
    public func exportSubject(_ subject: SubjectID) async throws -> SubjectExport {
        let (externalID, cubes, withheld, hash) = try await perform(.exportSubject, subject: subject) { [self] work in
            let record = try verifiedSubject(subject, in: work.transaction)
            try work.require(.export, subject: subject, cube: nil)
            var cubes: [PortableCube] = []
            var withheld = WithheldTally()
            var after: CubeID?
            while true {
                let page = try work.transaction.cubes(.subject(subject), after: after, limit: 100)
                for cubeRecord in page {
                    let context = try verifiedContext(for: cubeRecord, in: work.transaction)
                    let (cube, kept) = try portableCube(context, action: .export, in: work)
                    cubes.append(cube)
                    withheld.merge(kept)
                }
                guard page.count == 100 else { break }
                after = page.last?.id
            }
            let hash = try Self.contentHash(of: cubes)
            work.returned = UInt64(cubes.reduce(0) { $0 + $1.memories.count })
            work.withheld = UInt64(withheld.count)
            work.detail = "subject export, \(cubes.count) cubes, sha256:\(hash)"
            return (try openExternalID(record), cubes, withheld.summary, hash)
        }
        let consent = try await consentHistory(of: subject)
        let restrictions = try await restrictions(includeLifted: true).filter { $0.subject == subject }
        let cubeIDs = Set(cubes.isEmpty ? [] : try await subjectCubeIDs(subject))
        let holds = try await holds(includeCleared: true).filter { hold in
            switch hold.target {
            case .subject(let held): held == subject
            case .cube(let cube): cubeIDs.contains(cube)
            }
        }
        let pseudonym = try keys.auditPseudonym(tenant, subject: subject)
        let requests = try await erasureRequests().filter { $0.subject == pseudonym }
        let checkpoint = try await signAuditCheckpoint()
        return SubjectExport(
            formatVersion: SubjectExport.formatVersion, tenant: tenant, subject: subject, externalID: externalID,
            exportedAt: now(), cubes: cubes, withheld: withheld, consent: consent, restrictions: restrictions,
            holds: holds.map {
                SubjectExport.Hold(id: $0.id, target: "\($0.target)", setAt: $0.setAt, clearedAt: $0.clearedAt)
            },
            erasureRequests: requests, processing: ProcessingRecords(try engine()), auditCheckpoint: checkpoint,
            contentHash: hash)
    }

    private func subjectCubeIDs(_ subject: SubjectID) async throws -> [CubeID] {
        try await storage.read { reader in
            var ids: [CubeID] = []
            var after: CubeID?
            while true {
                let page = try reader.cubes(.subject(subject), after: after, limit: 500)
                ids += page.map(\.id)
                guard page.count == 500 else { return ids }
                after = page.last?.id
            }
        }
    }

    static func contentHash(of cubes: [PortableCube]) throws -> String {
        var joined: [UInt8] = []
        for cube in cubes { joined += Array(try PortableCube.contentHash(cube).utf8) }
        return try PortableCube.contentHash(bytes: joined)
    }
}
