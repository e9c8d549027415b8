import Foundation
import MemVaultPolicy
import Synchronization

/// What every `TenantStore` of one tenant shares: storage, keys, the pseudonymizer, the policy and caches.
final class TenantResources: Sendable {
    let tenant: TenantID
    let storage: any TenantStorage
    let keys: KeyHierarchy
    let limits: StoreLimits
    let pseudonymizer: Pseudonymizer
    let policies: PolicyRegistry
    let policyName: String
    /// Cube owner and pseudonym, needed for every seal and open; cubes never change owner.
    let cubeContexts = Mutex([CubeID: CubeContext]())
    let subjectPseudonyms = Mutex([SubjectID: String]())
    let auditPseudonyms = Mutex([SubjectID: String]())

    init(
        storage: any TenantStorage, keys: KeyHierarchy, limits: StoreLimits, policies: PolicyRegistry,
        policyName: String
    ) throws {
        tenant = storage.tenant
        self.storage = storage
        self.keys = keys
        self.limits = limits
        self.policies = policies
        self.policyName = policyName
        pseudonymizer = try keys.pseudonymizer(storage.tenant)
    }
}

struct CubeContext: Sendable {
    let record: CubeRecord
    let pseudonym: String?
    var owner: DataKeyOwner { record.subject.map(DataKeyOwner.subject) ?? .tenant }
}

/// Everything one tenant can do with its subjects, cubes and memories, on behalf of one access context.
///
/// A `TenantStore` is bound to one tenant's storage and keys: an id that belongs to another tenant is not found,
/// exactly like an id that never existed. Every operation is decided by the tenant's policy for the context's role
/// and purpose, with the subject's consent and any legal hold looked up for that very request. Content and metadata
/// are sealed here, before storage sees them, and opened here, only after the policy permitted it.
public final class TenantStore: Sendable {
    public let tenant: TenantID
    public let context: AccessContext
    let resources: TenantResources

    init(resources: TenantResources, context: AccessContext) {
        tenant = resources.tenant
        self.resources = resources
        self.context = context
    }

    var storage: any TenantStorage { resources.storage }
    var keys: KeyHierarchy { resources.keys }
    var limits: StoreLimits { resources.limits }
    var pseudonymizer: Pseudonymizer { resources.pseudonymizer }
}

extension Subject {
    init(_ record: SubjectRecord) {
        self.init(id: record.id, pseudonym: record.pseudonym, createdAt: record.createdAt.date)
    }
}

extension Memory {
    init(record: MemoryRecord, payload: MemoryPayload) {
        self.init(
            id: record.id, cube: record.cube, subject: record.subject, version: record.version,
            supersedes: record.supersedes, status: record.status, type: record.type, category: record.category,
            content: payload.content, tags: payload.tags, source: record.source, sourceDetail: payload.sourceDetail,
            confidence: payload.confidence, occurredAt: record.occurredAt?.date, validFrom: record.validFrom?.date,
            validUntil: record.validUntil?.date, attributes: payload.attributes, createdAt: record.createdAt.date,
            updatedAt: record.updatedAt.date)
    }
}

extension StoredTime {
    /// Milliseconds since 1970; storage keeps millisecond precision.
    init(now date: Date) {
        self = StoredTime((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    var date: Date { Date(timeIntervalSince1970: Double(self) / 1000) }
}

/// Groups withheld items by the rules that denied them, keeping the first reason as the example.
struct WithheldTally {
    private var groups: [[String]: (count: Int, reason: String)] = [:]

    mutating func add(_ decision: Decision) {
        groups[decision.ruleIDs, default: (0, decision.reason)].count += 1
    }

    var count: Int { groups.values.reduce(0) { $0 + $1.count } }

    /// For a listing that withheld everything, the decision that withheld it (the largest group).
    var auditDecision: AuditDecision {
        let top = groups.max { $0.value.count < $1.value.count }
        return AuditDecision(effect: "deny", ruleIDs: top?.key ?? [], policyRevision: "")
    }

    var summary: [Withheld] {
        groups.map { Withheld(count: $0.value.count, ruleIDs: $0.key, reason: $0.value.reason) }
            .sorted { $0.ruleIDs.lexicographicallyPrecedes($1.ruleIDs) }
    }
}

/// What a write's decision depends on besides governance.
struct WriteKind: Hashable, Sendable {
    let category: String
    let type: MemoryType
    let source: SourceKind
}

/// A policy or role denial on its way to the audit log.
struct PolicyDenial: Error {
    let decision: AuditDecision
    let subject: SubjectID?
    let cube: CubeID?
    let message: String
}

extension AuditDecision {
    init(_ decision: Decision) {
        self.init(effect: decision.effect.rawValue, ruleIDs: decision.ruleIDs, policyRevision: decision.policyRevision)
    }
}

extension HoldTarget {
    var subject: SubjectID? { if case .subject(let subject) = self { subject } else { nil } }
    var cube: CubeID? { if case .cube(let cube) = self { cube } else { nil } }
}
