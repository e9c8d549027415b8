public import Foundation
public import MemVaultPolicy

/// One recorded consent change, decrypted.
public struct ConsentRecord: Sendable, Equatable {
    public let subject: SubjectID
    public let purpose: String
    public let state: ConsentState
    public let changedAt: Date
    public let actor: String
    /// What shows the consent (e.g. "checkbox v3 on signup form"); sealed at rest.
    public let evidence: String?
}

/// A legal hold, decrypted: while active it blocks deletion, erasure and retention of its target.
public struct LegalHold: Sendable, Equatable {
    public let id: String
    public let target: HoldTarget
    public let reason: String
    public let setBy: String
    public let setAt: Date
    public let clearedBy: String?
    public let clearedAt: Date?

    public var isActive: Bool { clearedAt == nil }
}

/// Items a listing did not return, grouped by why: the decisions explain themselves without revealing the items.
public struct Withheld: Sendable, Equatable, Codable {
    public let count: Int
    public let ruleIDs: [String]
    public let reason: String
}

extension ConsentRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case subject, purpose, state, changedAt, actor, evidence
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subject, forKey: .subject)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(state, forKey: .state)
        try container.encode(changedAt, forKey: .changedAt)
        try container.encode(actor, forKey: .actor)
        try container.encodeIfPresent(evidence, forKey: .evidence)
    }
}

extension HoldTarget: CustomStringConvertible {
    public var description: String {
        switch self {
        case .subject(let subject): "subject \(subject)"
        case .cube(let cube): "cube \(cube)"
        }
    }
}

extension LegalHold: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, target, reason, setBy, setAt, clearedBy, clearedAt, active
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(target.description, forKey: .target)
        try container.encode(reason, forKey: .reason)
        try container.encode(setBy, forKey: .setBy)
        try container.encode(setAt, forKey: .setAt)
        try container.encodeIfPresent(clearedBy, forKey: .clearedBy)
        try container.encodeIfPresent(clearedAt, forKey: .clearedAt)
        try container.encode(isActive, forKey: .active)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let target = try container.decode(String.self, forKey: .target).split(separator: " ").map(String.init)
        let decoded: HoldTarget
        switch (target.first, target.count) {
        case ("subject", 2): decoded = .subject(try SubjectID(target[1]))
        case ("cube", 2): decoded = .cube(try CubeID(target[1]))
        default: throw DecodingError.dataCorruptedError(forKey: .target, in: container, debugDescription: "target")
        }
        self.init(
            id: try container.decode(String.self, forKey: .id), target: decoded,
            reason: try container.decode(String.self, forKey: .reason),
            setBy: try container.decode(String.self, forKey: .setBy),
            setAt: try container.decode(Date.self, forKey: .setAt),
            clearedBy: try container.decodeIfPresent(String.self, forKey: .clearedBy),
            clearedAt: try container.decodeIfPresent(Date.self, forKey: .clearedAt))
    }
}
