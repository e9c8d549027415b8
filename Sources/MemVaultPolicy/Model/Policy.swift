/// A validated policy: what `PolicyLoader` produces and `PolicyEngine` evaluates. Its revision is a hash of its
/// canonical form (`PolicyRevision`).
public struct Policy: Sendable, Equatable {
    public let name: String
    public let description: String?
    public let purposes: [String: Purpose]
    public let categories: [String: Category]
    /// Sorted by id; order never matters to evaluation.
    public let rules: [Rule]
    public let erasure: ErasureSettings
    public let migration: MigrationSettings
    public let records: RecordsSettings

    public struct Purpose: Sendable, Equatable {
        public let legalBasis: LegalBasis
        public let description: String?
    }

    public struct Category: Sendable, Equatable {
        /// How long after a memory is stored it may still be disclosed; nil keeps it until deleted.
        public let retention: ISODuration?
        public let purposes: Set<String>
        /// GDPR Art. 9 data (health, beliefs, …): processing needs explicit consent.
        public let specialCategory: Bool
        public let erasureException: ErasureException?
        public let description: String?
    }

    /// Art. 17(3): the law requires keeping this category for `keepFor` after it was stored, despite erasure.
    public struct ErasureException: Sendable, Equatable {
        public let basis: ErasureExceptionBasis
        public let keepFor: ISODuration
        public let reference: String?
        /// The only purposes that may still process what an erasure keeps (Art. 18(2)): among the category's.
        public let purposes: Set<String>

        public init(basis: ErasureExceptionBasis, keepFor: ISODuration, reference: String?, purposes: Set<String>) {
            self.basis = basis
            self.keepFor = keepFor
            self.reference = reference
            self.purposes = purposes
        }
    }

    public struct Rule: Sendable, Equatable {
        public enum Effect: String, Sendable, CaseIterable {
            case permit, forbid
        }

        public let id: String
        public let effect: Effect
        public let actions: Set<Action>
        public let roles: Set<Role>
        /// nil: any purpose.
        public let purposes: Set<String>?
        public let conditions: Conditions
        public let description: String?
    }

    /// Every condition given must hold for a rule to match; an absent one always holds.
    public struct Conditions: Sendable, Equatable {
        public let categories: Set<String>?
        public let consent: Set<ConsentState>?
        public let legalHold: Bool?
        public let memoryTypes: Set<String>?
        public let sources: Set<String>?
        public let specialCategory: Bool?

        public static let none = Conditions(
            categories: nil, consent: nil, legalHold: nil, memoryTypes: nil, sources: nil, specialCategory: nil)
    }

    public struct ErasureSettings: Sendable, Equatable {
        /// GDPR Art. 12(3): answer within one month.
        public let deadline: ISODuration
        public let covers: Set<String>
    }

    /// What may move in and out of the tenant (docs/portability.md): the file formats, the platforms memories may
    /// go to and come from, and the consent an outbound move of a subject's memories needs.
    public struct MigrationSettings: Sendable, Equatable {
        /// Formats memories may be exported in or imported from (`StoreVocabulary.transferFormats`).
        public let formats: Set<String>
        /// Platforms memories may go to (`StoreVocabulary.platforms`).
        public let destinations: Set<String>
        /// Platforms memories may come from.
        public let sources: Set<String>
        /// Purposes whose consent an outbound migration of a subject's memories needs.
        public let requiredPurposes: Set<String>
        public let requireConsent: Bool
    }

    /// Art. 30 details that are not evaluated but go into the record of processing activities.
    public struct RecordsSettings: Sendable, Equatable {
        public let controller: String?
        public let contact: String?
        public let dataSubjects: String?
        public let recipients: [String]
        public let transfers: String?
        public let securityMeasures: String?
    }
}
