public import Foundation

/// A restriction of processing (GDPR Art. 18): while active, a subject's memories (in every category, or in some)
/// may be stored but processed only for the purposes it names.
public struct Restriction: Sendable, Equatable, Codable {
    /// Why processing is restricted.
    public enum Ground: String, Sendable, Codable, CaseIterable {
        /// Art. 18(1)(a): the subject contests their accuracy, while it is checked.
        case accuracyContested = "accuracy-contested"
        /// Art. 18(1)(b): processing is unlawful and the subject asks for restriction instead of erasure.
        case unlawfulProcessing = "unlawful-processing"
        /// Art. 18(1)(c): no longer needed, but the subject needs them for legal claims.
        case legalClaims = "legal-claims"
        /// Art. 18(1)(d): the subject objected (Art. 21(1)), pending verification.
        case objectionPending = "objection-pending"
        /// What an erasure request had to keep under an Art. 17(3) exception (set by the erasure itself).
        case erasureException = "erasure-exception"

        public var article: String {
            switch self {
            case .accuracyContested: "Art. 18(1)(a)"
            case .unlawfulProcessing: "Art. 18(1)(b)"
            case .legalClaims: "Art. 18(1)(c)"
            case .objectionPending: "Art. 18(1)(d)"
            case .erasureException: "Art. 17(3)"
            }
        }
    }

    public let id: String
    public let subject: SubjectID
    /// Empty: every category.
    public let categories: [String]
    /// The only purposes that may still process the memories; empty: they may only be stored.
    public let purposes: [String]
    public let ground: Ground
    /// The erasure request that set it.
    public let request: String?
    public let setBy: String
    public let setAt: Date
    public let liftedBy: String?
    public let liftedAt: Date?

    public var isActive: Bool { liftedAt == nil }

    private enum CodingKeys: String, CodingKey {
        case id, subject, categories, purposes, ground, article, request, setBy, setAt, liftedBy, liftedAt, active
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(subject, forKey: .subject)
        try container.encode(categories, forKey: .categories)
        try container.encode(purposes, forKey: .purposes)
        try container.encode(ground, forKey: .ground)
        try container.encode(ground.article, forKey: .article)
        try container.encodeIfPresent(request, forKey: .request)
        try container.encode(setBy, forKey: .setBy)
        try container.encode(setAt, forKey: .setAt)
        try container.encodeIfPresent(liftedBy, forKey: .liftedBy)
        try container.encodeIfPresent(liftedAt, forKey: .liftedAt)
        try container.encode(isActive, forKey: .active)
    }
}

extension Restriction {
    /// Reads what `encode(to:)` writes (a client of the HTTP API); `article` and `active` follow from the rest.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        subject = try container.decode(SubjectID.self, forKey: .subject)
        categories = try container.decode([String].self, forKey: .categories)
        purposes = try container.decode([String].self, forKey: .purposes)
        ground = try container.decode(Ground.self, forKey: .ground)
        request = try container.decodeIfPresent(String.self, forKey: .request)
        setBy = try container.decode(String.self, forKey: .setBy)
        setAt = try container.decode(Date.self, forKey: .setAt)
        liftedBy = try container.decodeIfPresent(String.self, forKey: .liftedBy)
        liftedAt = try container.decodeIfPresent(Date.self, forKey: .liftedAt)
    }
}
