public import MemVaultAudit
public import MemVaultPolicy

/// What storage backends hold. Every field is either ciphertext (an envelope), a seal (a MAC), or one of the fields
/// kept in clear on purpose because the engine queries them without keys (docs/data-model.md). A clear field that
/// policy depends on is authenticated: bound into its record's envelope or covered by its seal, so that an edit
/// made to the files is caught (integrity_failure), never obeyed.

/// Milliseconds since 1970, the clear timestamp format in storage.
public typealias StoredTime = Int64

public struct SubjectRecord: Sendable, Equatable {
    public let id: SubjectID
    public let pseudonym: String
    /// The tenant's external id for the subject, sealed under the subject's data key and bound to the subject id,
    /// its pseudonym and creation time: a swapped pseudonym fails to open.
    public let externalID: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime

    public init(id: SubjectID, pseudonym: String, externalID: [UInt8], keyVersion: UInt32, createdAt: StoredTime) {
        self.id = id
        self.pseudonym = pseudonym
        self.externalID = externalID
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}

public struct CubeRecord: Sendable, Equatable {
    public let id: CubeID
    public let subject: SubjectID?
    public let kind: String
    public let defaultCategory: String
    public let schemaVersion: Int
    /// Name and provenance, sealed and bound to every clear field above.
    public let metadata: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime
    public let updatedAt: StoredTime

    public init(
        id: CubeID, subject: SubjectID?, kind: String, defaultCategory: String, schemaVersion: Int, metadata: [UInt8],
        keyVersion: UInt32, createdAt: StoredTime, updatedAt: StoredTime
    ) {
        self.id = id
        self.subject = subject
        self.kind = kind
        self.defaultCategory = defaultCategory
        self.schemaVersion = schemaVersion
        self.metadata = metadata
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which cubes a listing covers.
public enum CubeFilter: Sendable, Equatable {
    case all
    case shared
    case subject(SubjectID)
}

public enum ContentKind: String, Sendable, Codable, CaseIterable {
    case text
    case binary
}

/// The clear fields of one memory version: what policy, listings, retention and validity need without keys.
/// Declared once; storage columns, the envelope binding and the decrypted `Memory` all follow this list.
public struct MemoryFields: Sendable, Equatable {
    public var status: MemoryStatus
    public var type: MemoryType
    public var category: String
    public var source: SourceKind
    public var contentKind: ContentKind
    public var contentSize: Int
    public var occurredAt: StoredTime?
    public var validFrom: StoredTime?
    public var validUntil: StoredTime?
    public var createdAt: StoredTime
    public var updatedAt: StoredTime

    public init(
        status: MemoryStatus, type: MemoryType, category: String, source: SourceKind, contentKind: ContentKind,
        contentSize: Int, occurredAt: StoredTime?, validFrom: StoredTime?, validUntil: StoredTime?,
        createdAt: StoredTime, updatedAt: StoredTime
    ) {
        self.status = status
        self.type = type
        self.category = category
        self.source = source
        self.contentKind = contentKind
        self.contentSize = contentSize
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One stored version of a memory.
public struct MemoryRecord: Sendable, Equatable {
    public let id: MemoryID
    public let cube: CubeID
    public let subject: SubjectID?
    public var version: Int
    /// The version this one replaced (lineage); nil for the first.
    public var supersedes: Int?
    public var fields: MemoryFields
    public var keyVersion: UInt32
    /// Content, tags, source detail, confidence, attributes and media type, sealed together and bound to the
    /// memory's place (tenant, subject, cube, id, version, current or superseded) and to every clear field.
    public var payload: [UInt8]

    public init(
        id: MemoryID, cube: CubeID, subject: SubjectID?, version: Int, supersedes: Int?, fields: MemoryFields,
        keyVersion: UInt32, payload: [UInt8]
    ) {
        self.id = id
        self.cube = cube
        self.subject = subject
        self.version = version
        self.supersedes = supersedes
        self.fields = fields
        self.keyVersion = keyVersion
        self.payload = payload
    }
}

/// A stored version and where it was found: the current version, or a superseded one in the history.
public struct MemoryVersion: Sendable, Equatable {
    public let record: MemoryRecord
    public let isCurrent: Bool

    public init(record: MemoryRecord, isCurrent: Bool) {
        self.record = record
        self.isCurrent = isCurrent
    }
}

/// Which memories a listing covers.
public enum MemoryScope: Sendable, Equatable {
    case cube(CubeID)
    case subject(SubjectID)
}

/// A subject's current consent state for one purpose: the anchor of its consent history.
public struct ConsentStateRecord: Sendable, Equatable {
    public let subject: SubjectID
    public let purpose: String
    public let state: ConsentState
    public let changedAt: StoredTime
    /// The change in the history that set this state: always the newest one for the subject and purpose.
    public let changeID: String
    /// HMAC under the tenant's integrity key over every field above.
    public let seal: [UInt8]

    public init(
        subject: SubjectID, purpose: String, state: ConsentState, changedAt: StoredTime, changeID: String,
        seal: [UInt8]
    ) {
        self.subject = subject
        self.purpose = purpose
        self.state = state
        self.changedAt = changedAt
        self.changeID = changeID
        self.seal = seal
    }
}

/// One change of a subject's consent for a purpose. The evidence (free text) is sealed under the subject's key; the
/// rest is clear, chained to the previous change for the same purpose and sealed.
public struct ConsentChangeRecord: Sendable, Equatable {
    public let id: String
    public let subject: SubjectID
    public let purpose: String
    public let state: ConsentState
    public let changedAt: StoredTime
    /// The credential that recorded the change.
    public let actor: String
    public let evidence: [UInt8]?
    public let keyVersion: UInt32?
    /// The change this one follows for the same subject and purpose; nil for the first.
    public let previous: String?
    public let seal: [UInt8]

    public init(
        id: String, subject: SubjectID, purpose: String, state: ConsentState, changedAt: StoredTime, actor: String,
        evidence: [UInt8]?, keyVersion: UInt32?, previous: String?, seal: [UInt8]
    ) {
        self.id = id
        self.subject = subject
        self.purpose = purpose
        self.state = state
        self.changedAt = changedAt
        self.actor = actor
        self.evidence = evidence
        self.keyVersion = keyVersion
        self.previous = previous
        self.seal = seal
    }
}

/// What a decision needs to know about a subject's consent for a purpose.
public struct ConsentLookup: Sendable, Equatable {
    public let current: ConsentStateRecord?
    /// The newest change id in the history for the subject and purpose.
    public let latestChange: String?

    public init(current: ConsentStateRecord?, latestChange: String?) {
        self.current = current
        self.latestChange = latestChange
    }
}

/// A memory's current version with what deciding on it needs (see `GovernedMemoryReader`).
public struct GovernedMemory: Sendable, Equatable {
    public let current: MemoryRecord
    public let latestSuperseded: Int?
    /// The consent of the memory's subject for the purpose asked about; empty for a shared cube's memory.
    public let consent: ConsentLookup
    public let holdRegistry: HoldRegistryRecord?
    public let anyHolds: Bool

    public init(
        current: MemoryRecord, latestSuperseded: Int?, consent: ConsentLookup, holdRegistry: HoldRegistryRecord?,
        anyHolds: Bool
    ) {
        self.current = current
        self.latestSuperseded = latestSuperseded
        self.consent = consent
        self.holdRegistry = holdRegistry
        self.anyHolds = anyHolds
    }
}

/// What a legal hold applies to.
public enum HoldTarget: Sendable, Hashable {
    case subject(SubjectID)
    case cube(CubeID)

    public var kind: String {
        switch self {
        case .subject: "subject"
        case .cube: "cube"
        }
    }

    public var id: String {
        switch self {
        case .subject(let subject): subject.rawValue
        case .cube(let cube): cube.rawValue
        }
    }

    public init(kind: String, id: String) throws {
        switch kind {
        case "subject": self = .subject(try SubjectID(id))
        case "cube": self = .cube(try CubeID(id))
        default: throw MemVaultError(.integrity, "a legal hold names an unknown kind of target")
        }
    }
}

/// A legal hold; the reason is sealed under the tenant's data key, the rest is clear and sealed.
public struct LegalHoldRecord: Sendable, Equatable {
    public let id: String
    public let target: HoldTarget
    public let reason: [UInt8]
    public let keyVersion: UInt32
    public let setBy: String
    public let setAt: StoredTime
    public let clearedBy: String?
    public let clearedAt: StoredTime?
    public let seal: [UInt8]

    public init(
        id: String, target: HoldTarget, reason: [UInt8], keyVersion: UInt32, setBy: String, setAt: StoredTime,
        clearedBy: String?, clearedAt: StoredTime?, seal: [UInt8]
    ) {
        self.id = id
        self.target = target
        self.reason = reason
        self.keyVersion = keyVersion
        self.setBy = setBy
        self.setAt = setAt
        self.clearedBy = clearedBy
        self.clearedAt = clearedAt
        self.seal = seal
    }

    public var isActive: Bool { clearedAt == nil }
}

/// The tenant's record of which holds exist: a generation that moves with every hold set or cleared, and a digest of
/// every hold (active or cleared) with its state. Deleting or reviving a hold row no longer matches it.
public struct HoldRegistryRecord: Sendable, Equatable {
    public let generation: UInt64
    public let digest: [UInt8]
    public let seal: [UInt8]

    public init(generation: UInt64, digest: [UInt8], seal: [UInt8]) {
        self.generation = generation
        self.digest = digest
        self.seal = seal
    }
}

/// A tenant's lifecycle state in the catalog.
public enum TenantState: String, Sendable, Codable, CaseIterable {
    case creating
    case active
    case deleting
}

/// A tenant as the catalog knows it, sealed under the installation's integrity key.
public struct TenantEntryRecord: Sendable, Equatable {
    public let tenant: TenantID
    public let state: TenantState
    /// The name of the policy file the tenant is governed by (`POLICIES/<name>.yaml`).
    public let policy: String
    public let createdAt: StoredTime
    /// Set once the tenant has had a legal hold: from then on its database must hold a hold registry.
    public let hasHolds: Bool
    /// The latest signed checkpoint of the tenant's audit log, kept here as well as in the tenant's database, so a
    /// deleted stored checkpoint or a rewritten log is caught.
    public let checkpoint: String?
    /// The tenant's quotas (sealed with the entry; an entry without any seals as it did before quotas existed).
    public let quotas: TenantQuotas
    public let seal: [UInt8]

    public init(
        tenant: TenantID, state: TenantState, policy: String, createdAt: StoredTime, hasHolds: Bool,
        checkpoint: String?, quotas: TenantQuotas = .unlimited, seal: [UInt8]
    ) {
        self.tenant = tenant
        self.state = state
        self.policy = policy
        self.createdAt = createdAt
        self.hasHolds = hasHolds
        self.checkpoint = checkpoint
        self.quotas = quotas
        self.seal = seal
    }
}

/// One stored audit entry: its canonical encoding and chain hash (Audit/SPEC.md).
public typealias StoredAuditEntry = AuditChain.StoredEntry

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Sendable, Equatable {
    public let size: UInt64
    public let root: [UInt8]
    public let note: String
    public let createdAt: StoredTime

    public init(size: UInt64, root: [UInt8], note: String, createdAt: StoredTime) {
        self.size = size
        self.root = root
        self.note = note
        self.createdAt = createdAt
    }
}

/// An erasure request as stored: its state machine as a JSON document (no personal data: `ErasureRequest`), the
/// subject while anything of it may still be erased, the signed receipt once completed, and a seal over all of it.
public struct ErasureRequestRecord: Sendable, Equatable {
    public let id: String
    /// The subject until the request completes; then forgotten, so the request no longer links to anyone.
    public let subject: SubjectID?
    public let state: ErasureRequest.State
    public let document: [UInt8]
    public let receipt: [UInt8]?
    /// HMAC under the tenant's integrity key over every field above.
    public let seal: [UInt8]

    public init(
        id: String, subject: SubjectID?, state: ErasureRequest.State, document: [UInt8], receipt: [UInt8]?,
        seal: [UInt8]
    ) {
        self.id = id
        self.subject = subject
        self.state = state
        self.document = document
        self.receipt = receipt
        self.seal = seal
    }
}

/// A restriction of processing (GDPR Art. 18) of a subject's memories, in all categories or some: while active, only
/// `purposes` may process them. Clear and sealed, and matched with the legal holds by the hold registry's digest.
public struct RestrictionRecord: Sendable, Equatable {
    public let id: String
    public let subject: SubjectID
    /// Empty: every category.
    public let categories: [String]
    /// Empty: the memories may only be stored.
    public let purposes: [String]
    /// Why: an Art. 18(1) ground, or `erasure-exception` for what an erasure request kept.
    public let ground: String
    /// The erasure request that set it, if one did.
    public let request: String?
    public let setBy: String
    public let setAt: StoredTime
    public let liftedBy: String?
    public let liftedAt: StoredTime?
    public let seal: [UInt8]

    public init(
        id: String, subject: SubjectID, categories: [String], purposes: [String], ground: String, request: String?,
        setBy: String, setAt: StoredTime, liftedBy: String?, liftedAt: StoredTime?, seal: [UInt8]
    ) {
        self.id = id
        self.subject = subject
        self.categories = categories
        self.purposes = purposes
        self.ground = ground
        self.request = request
        self.setBy = setBy
        self.setAt = setAt
        self.liftedBy = liftedBy
        self.liftedAt = liftedAt
        self.seal = seal
    }

    public var isActive: Bool { liftedAt == nil }
}

/// A credential as the catalog keeps it: everything clear but the secret, of which only a keyed hash is stored, and a
/// seal under the installation's integrity key, so an edited tenant, role, purpose or expiry is refused.
public struct CredentialRecord: Sendable, Equatable {
    public let id: String
    /// nil: an installation credential.
    public let tenant: TenantID?
    public let role: String
    public let purposes: [String]
    /// HMAC-SHA256 of the secret under a key derived from the master key.
    public let secretHash: [UInt8]
    public let createdBy: String
    public let createdAt: StoredTime
    public let expiresAt: StoredTime?
    public let revokedBy: String?
    public let revokedAt: StoredTime?
    public let seal: [UInt8]

    public init(
        id: String, tenant: TenantID?, role: String, purposes: [String], secretHash: [UInt8], createdBy: String,
        createdAt: StoredTime, expiresAt: StoredTime?, revokedBy: String?, revokedAt: StoredTime?, seal: [UInt8]
    ) {
        self.id = id
        self.tenant = tenant
        self.role = role
        self.purposes = purposes
        self.secretHash = secretHash
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedBy = revokedBy
        self.revokedAt = revokedAt
        self.seal = seal
    }
}

/// A publisher whose memory modules the tenant installs: its Ed25519 key (hex), a name for people, who trusted it
/// and when, and when the trust was revoked. Sealed with the tenant's integrity key: a row forged or edited in the
/// files is an integrity failure, never trusted.
public struct TrustedPublisherRecord: Sendable, Equatable {
    public let key: String
    public let name: String
    public let trustedBy: String
    public let trustedAt: StoredTime
    public let revokedAt: StoredTime?
    public let seal: [UInt8]

    public init(
        key: String, name: String, trustedBy: String, trustedAt: StoredTime, revokedAt: StoredTime?, seal: [UInt8]
    ) {
        self.key = key
        self.name = name
        self.trustedBy = trustedBy
        self.trustedAt = trustedAt
        self.revokedAt = revokedAt
        self.seal = seal
    }
}
