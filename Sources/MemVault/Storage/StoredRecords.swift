/// What storage backends hold. Every field here is either ciphertext (an envelope) or one of the fields kept in
/// clear on purpose because the engine queries them without keys (docs/data-model.md). A backend never sees
/// plaintext content, metadata or external subject ids.

/// Milliseconds since 1970, the clear timestamp format in storage.
public typealias StoredTime = Int64

public struct SubjectRecord: Sendable, Equatable {
    public let id: SubjectID
    public let pseudonym: String
    /// The tenant's external id for the subject, sealed under the subject's data key.
    public let externalID: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime
}

public struct CubeRecord: Sendable, Equatable {
    public let id: CubeID
    public let subject: SubjectID?
    public let kind: String
    public let defaultCategory: String
    public let schemaVersion: Int
    /// Name and provenance, sealed.
    public let metadata: [UInt8]
    public let keyVersion: UInt32
    public let createdAt: StoredTime
    public let updatedAt: StoredTime
}

public enum ContentKind: String, Sendable, Codable {
    case text
    case binary
}

public struct MemoryRecord: Sendable, Equatable {
    public let id: MemoryID
    public let cube: CubeID
    public let subject: SubjectID?
    public let version: Int
    public let supersedes: Int?
    public let status: MemoryStatus
    public let type: MemoryType
    public let category: String
    public let source: SourceKind
    public let contentKind: ContentKind
    public let contentSize: Int
    public let occurredAt: StoredTime?
    public let validFrom: StoredTime?
    public let validUntil: StoredTime?
    public let createdAt: StoredTime
    public let updatedAt: StoredTime
    public let keyVersion: UInt32
    /// Content, tags, source detail, confidence, attributes and media type, sealed together.
    public let payload: [UInt8]

    func with(status: MemoryStatus, updatedAt: StoredTime) -> MemoryRecord {
        MemoryRecord(
            id: id, cube: cube, subject: subject, version: version, supersedes: supersedes, status: status,
            type: type, category: category, source: source, contentKind: contentKind, contentSize: contentSize,
            occurredAt: occurredAt, validFrom: validFrom, validUntil: validUntil, createdAt: createdAt,
            updatedAt: updatedAt, keyVersion: keyVersion, payload: payload)
    }
}

/// Which memories a listing covers.
public enum MemoryScope: Sendable, Equatable {
    case cube(CubeID)
    case subject(SubjectID)
}

/// One change of a subject's consent for a purpose. The evidence (who consented how, free text) is sealed under
/// the subject's key; the state is in clear because every read checks it.
public struct ConsentChangeRecord: Sendable, Equatable {
    public let id: String
    public let subject: SubjectID
    public let purpose: String
    public let state: String
    public let changedAt: StoredTime
    /// The credential that recorded the change.
    public let actor: String
    public let evidence: [UInt8]?
    public let keyVersion: UInt32?
}

/// What a legal hold applies to.
public enum HoldTarget: Sendable, Hashable {
    case subject(SubjectID)
    case cube(CubeID)

    var kind: String {
        switch self {
        case .subject: "subject"
        case .cube: "cube"
        }
    }

    var id: String {
        switch self {
        case .subject(let subject): subject.rawValue
        case .cube(let cube): cube.rawValue
        }
    }
}

/// A legal hold; the reason is sealed under the tenant's data key.
public struct LegalHoldRecord: Sendable, Equatable {
    public let id: String
    public let target: HoldTarget
    public let reason: [UInt8]
    public let keyVersion: UInt32
    public let setBy: String
    public let setAt: StoredTime
    public let clearedBy: String?
    public let clearedAt: StoredTime?
}

/// A tenant as the catalog knows it.
public struct TenantEntry: Sendable, Equatable {
    public let tenant: TenantID
    public let state: TenantState
    /// The name of the policy file the tenant is governed by (`POLICIES/<name>.yaml`).
    public let policy: String
}

/// The decision an audit entry records.
public struct AuditDecision: Sendable, Equatable {
    public var effect: String
    public var ruleIDs: [String]
    public var policyRevision: String

    public init(effect: String, ruleIDs: [String], policyRevision: String) {
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.policyRevision = policyRevision
    }

    /// For operations the policy does not decide (role-gated ones), named so in the log.
    public static func role(_ role: String) -> AuditDecision {
        AuditDecision(effect: "permit", ruleIDs: ["memvault:role-\(role)"], policyRevision: "")
    }
}

/// An audit entry before storage gives it its sequence number and time. No personal data: the subject appears only
/// as its audit pseudonym.
public struct AuditDraft: Sendable, Equatable {
    public var actor: String
    public var role: String
    public var action: String
    public var purpose: String
    public var subject: String?
    public var cube: String?
    public var memories: [String]
    public var decision: AuditDecision
    public var returned: UInt64
    public var withheld: UInt64
    public var detail: String?

    public init(
        actor: String, role: String, action: String, purpose: String, subject: String? = nil, cube: String? = nil,
        memories: [String] = [], decision: AuditDecision, returned: UInt64 = 0, withheld: UInt64 = 0,
        detail: String? = nil
    ) {
        self.actor = actor
        self.role = role
        self.action = action
        self.purpose = purpose
        self.subject = subject
        self.cube = cube
        self.memories = memories
        self.decision = decision
        self.returned = returned
        self.withheld = withheld
        self.detail = detail
    }
}

/// One stored audit entry: its canonical encoding and chain hash (Audit/SPEC.md).
public struct StoredAuditEntry: Sendable, Equatable {
    public let sequence: UInt64
    public let encoded: [UInt8]
    public let hash: [UInt8]
}

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Sendable, Equatable {
    public let size: UInt64
    public let root: [UInt8]
    public let note: String
    public let createdAt: StoredTime
}
