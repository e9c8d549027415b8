public import Foundation
import Logging
import MemVaultAudit
import MemVaultCrypto
public import MemVaultPolicy
import Synchronization

/// What every `TenantStore` of one tenant shares in a process: storage, keys, the policy, verified caches.
final class TenantResources: Sendable {
    let tenant: TenantID
    let origin: String
    let storage: any TenantStorage
    let keys: KeyHierarchy
    let limits: StoreLimits
    let policies: PolicyRegistry
    let catalog: Catalog
    let logger: Logger
    let now: @Sendable () -> Date
    let pseudonymizer: Pseudonymizer
    let integrity: IntegrityKey
    /// The tenant's catalog entry, verified when the tenant was opened (policy, whether it ever had holds).
    let entry: Mutex<TenantEntryRecord>
    /// Cube owner and pseudonym, verified against the cube's sealed metadata; cubes never change owner.
    let cubeContexts: Mutex<BoundedCache<CubeID, CubeContext>>
    /// Subjects whose pseudonym was verified against their sealed external id.
    let subjects: Mutex<BoundedCache<SubjectID, SubjectRecord>>
    /// The verified set of legal holds, for the hold registry generation it was read at.
    let holds = Mutex<HoldSnapshot?>(nil)
    /// Cubes' embeddings, opened and normalised, each for the vector generation it was read at. Bounded in cubes:
    /// 100,000 embeddings of 384 dimensions take 150 MB.
    let vectorSets = Mutex(BoundedCache<CubeID, VectorSet>(capacity: 4))
    /// The key generation the caches above were filled at (see `TenantStore.refreshCaches`).
    let cacheGeneration = Mutex<UInt64?>(nil)

    init(
        entry: TenantEntryRecord, storage: any TenantStorage, keys: KeyHierarchy, limits: StoreLimits,
        policies: PolicyRegistry, catalog: Catalog, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) throws {
        tenant = entry.tenant
        origin = AuditOrigins.tenant(entry.tenant)
        self.storage = storage
        self.keys = keys
        self.limits = limits
        self.policies = policies
        self.catalog = catalog
        self.logger = logger
        self.now = now
        self.entry = Mutex(entry)
        pseudonymizer = try keys.pseudonymizer(entry.tenant)
        integrity = try keys.integrityKey(entry.tenant)
        cubeContexts = Mutex(BoundedCache(capacity: keys.configuration.cacheCapacity))
        subjects = Mutex(BoundedCache(capacity: keys.configuration.cacheCapacity))
    }

    var policyName: String { entry.withLock { $0.policy } }
}

struct CubeContext: Sendable {
    let record: CubeRecord
    let pseudonym: String?
    /// From the sealed metadata, read when the context was verified.
    var analysis: TextAnalysis = .standard
    var embeddingDimension: Int?
    var embedder: String?
    /// Set for an installed memory module, whose memories are read-only.
    var module: ModuleIdentity?
    var owner: DataKeyOwner { record.subject.map(DataKeyOwner.subject) ?? .tenant }
}

/// Everything one tenant can do with its subjects, cubes and memories, on behalf of one access context.
///
/// A `TenantStore` is bound to one tenant's storage and keys: an id that belongs to another tenant is not found,
/// exactly like an id that never existed. Every operation goes through `perform`: admitted (actor, purpose, role),
/// then decided, done and recorded in one unit of work, with the subject's consent and any legal hold read in that
/// same transaction. Content and metadata are sealed here, before storage sees them, and opened here, only after
/// the policy permitted it; every clear field the policy depends on is verified before it is obeyed.
public final class TenantStore: Sendable {
    public let tenant: TenantID
    public let context: AccessContext
    /// The one subject this store reaches, if it is confined to one (an agent's session, bound to its user):
    /// another subject's memories, cubes and records, and the tenant's shared cubes, answer exactly as unknown ids,
    /// before anything of them is read or recorded.
    public let confinement: SubjectID?
    let resources: TenantResources
    let authorizer: Authorizer

    init(resources: TenantResources, context: AccessContext, confinement: SubjectID? = nil) {
        tenant = resources.tenant
        self.resources = resources
        self.context = context
        self.confinement = confinement
        authorizer = Authorizer(context: context)
    }

    /// This store confined to `subject`: see `confinement`.
    public func confined(to subject: SubjectID) -> TenantStore {
        TenantStore(resources: resources, context: context, confinement: subject)
    }

    /// Under confinement, a memory of another subject (or a shared one) is an unknown memory.
    func confine(_ record: MemoryRecord) throws {
        if let confinement, record.subject != confinement { throw notFound(memory: record.id) }
    }

    var storage: any TenantStorage { resources.storage }
    var keys: KeyHierarchy { resources.keys }
    var limits: StoreLimits { resources.limits }
    var logger: Logger { resources.logger }
    func now() -> Date { resources.now() }

    func engine() throws -> PolicyEngine {
        try resources.policies.engine(resources.policyName)
    }

    /// The tenant's quotas, as its catalog entry holds them.
    public var quotas: TenantQuotas { resources.entry.withLock { $0.quotas } }

    /// What the tenant's current memories hold against its quotas: counts only, so any role may read it and it is
    /// not audited.
    public func usage() async throws -> TenantUsage {
        try await storage.read { try $0.usage() }
    }

    /// The policy engine governing the tenant, for explaining decisions and generating its records of processing.
    /// The policy holds no personal data, so any role may read it.
    public func policyEngine() throws -> PolicyEngine { try engine() }

    /// The log's origin and checkpoint key name (C2SP): `memvault.local/<tenant>`.
    public var auditOrigin: String { resources.origin }
}

extension Subject {
    init(_ record: SubjectRecord) {
        self.init(id: record.id, pseudonym: record.pseudonym, createdAt: record.createdAt.date)
    }
}

extension StoredTime {
    /// Milliseconds since 1970; storage keeps millisecond precision.
    public init(now date: Date) {
        self = StoredTime((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(self) / 1000) }
}

/// Groups withheld items by the rules that denied them, keeping the first reason as the example.
struct WithheldTally {
    private var groups: [[String]: (count: Int, reason: String)] = [:]

    mutating func add(_ decision: Decision) {
        groups[decision.ruleIDs, default: (0, decision.reason)].count += 1
    }

    var count: Int { groups.values.reduce(0) { $0 + $1.count } }

    mutating func merge(_ other: WithheldTally) {
        for (rules, group) in other.groups {
            groups[rules, default: (0, group.reason)].count += group.count
        }
    }

    /// For a listing that withheld everything, the decision that withheld it (the largest group).
    var auditDecision: AuditDecision {
        let top = groups.max { $0.value.count < $1.value.count }
        return AuditDecision(effect: .deny, ruleIDs: top?.key ?? [], policyRevision: "")
    }

    var summary: [Withheld] {
        groups.map { Withheld(count: $0.value.count, ruleIDs: $0.key, reason: $0.value.reason) }
            .sorted { $0.ruleIDs.lexicographicallyPrecedes($1.ruleIDs) }
    }
}

extension HoldTarget {
    var subject: SubjectID? { if case .subject(let subject) = self { subject } else { nil } }
    var cube: CubeID? { if case .cube(let cube) = self { cube } else { nil } }
}
