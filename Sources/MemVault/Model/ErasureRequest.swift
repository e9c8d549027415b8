public import Foundation

/// A right-to-be-forgotten request (GDPR Art. 17), as a persistent state machine: received → in progress →
/// completed, completed with exceptions, or rejected. Everything in it is MemVault's own vocabulary, ids, counts and
/// times: the subject appears only as its audit pseudonym, which erasure makes unlinkable.
public struct ErasureRequest: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case received
        case inProgress = "in-progress"
        case completed
        case completedWithExceptions = "completed-with-exceptions"
        case rejected

        /// A request in a final state is never executed again (one completed with exceptions finishes when the
        /// exceptions lapse: see `TenantStore.runErasure`).
        public var isOpen: Bool { self == .received || self == .inProgress }
    }

    /// The Art. 17(1) ground the data subject invokes.
    public enum Ground: String, Sendable, Codable, CaseIterable {
        /// (a) no longer necessary for the purposes collected.
        case noLongerNecessary = "no-longer-necessary"
        /// (b) consent withdrawn and no other legal ground.
        case consentWithdrawn = "consent-withdrawn"
        /// (c) the subject objects (Art. 21).
        case objection
        /// (d) unlawfully processed.
        case unlawfulProcessing = "unlawful-processing"
        /// (e) erasure required by law.
        case legalObligation = "legal-obligation"
        /// (f) data of a child collected for information-society services.
        case childData = "child-data"

        public var article: String {
            switch self {
            case .noLongerNecessary: "Art. 17(1)(a)"
            case .consentWithdrawn: "Art. 17(1)(b)"
            case .objection: "Art. 17(1)(c)"
            case .unlawfulProcessing: "Art. 17(1)(d)"
            case .legalObligation: "Art. 17(1)(e)"
            case .childData: "Art. 17(1)(f)"
            }
        }
    }

    /// Who filed the request with the controller.
    public enum Requester: String, Sendable, Codable, CaseIterable {
        case dataSubject = "data-subject"
        case representative
        case supervisoryAuthority = "supervisory-authority"
        case controller
    }

    /// Why a request was not carried out.
    public enum Rejection: String, Sendable, Codable, CaseIterable {
        /// A legal hold covers the subject or one of its cubes (`holds` names them).
        case legalHold = "legal-hold"
    }

    /// Where an execution stands, so a run killed at any point resumes where it stopped.
    public enum Step: String, Sendable, Codable, CaseIterable {
        case memories
        case subjectRecords = "subject-records"
        case keys
        case completion
        case receipt
        case done
    }

    /// Memories of one category that erasure kept, restricted to the purposes that justify keeping them.
    public struct Retained: Sendable, Equatable, Codable {
        public let category: String
        public var count: Int
        /// `legal-obligation` or `legal-claims` (an Art. 17(3) exception), or `legal-hold`.
        public let basis: String
        public let article: String
        /// When the last of them may be erased (the exception's keep-for after the newest one's storage); nil
        /// while a hold keeps them.
        public var until: Date?
        /// The only purposes that may still process them (Art. 18(2)); empty under a hold.
        public let purposes: [String]
    }

    public let id: String
    /// The subject's audit pseudonym (`apn_…`): what the audit log's entries about the subject carry.
    public let subject: String
    /// Categories to erase; nil for everything of the subject (its memories, cubes, consent, identity and keys).
    public let categories: [String]?
    public let requester: Requester
    public let ground: Ground
    /// The credential that filed it.
    public let filedBy: String
    public internal(set) var state: State
    public internal(set) var step: Step
    public internal(set) var rejection: Rejection?
    /// The active holds that blocked it.
    public internal(set) var holds: [String]
    public let receivedAt: Date
    /// Art. 12(3): one month (the policy's deadline) from receipt, extendable once by two months.
    public internal(set) var dueAt: Date
    public internal(set) var extended: Bool
    public internal(set) var startedAt: Date?
    public internal(set) var completedAt: Date?
    /// Memories erased, per category.
    public internal(set) var erased: [String: Int]
    public internal(set) var retained: [Retained]
    /// Consent records (state and history with their evidence) erased.
    public internal(set) var consentRecords: Int
    /// Cubes erased.
    public internal(set) var cubes: Int
    /// Versions of the subject's data key destroyed (crypto-shredding); 0 while anything of the subject is kept.
    public internal(set) var keysDestroyed: Int
    /// The sequence of the audit entry that records the completion; the receipt proves its inclusion.
    public internal(set) var completionEntry: UInt64?
    /// The last memory a batch went through, so the next batch (or a resumed run) starts after it.
    public internal(set) var resumeAfter: String?

    public var erasedTotal: Int { erased.values.reduce(0, +) }
    public var isFullErasure: Bool { categories == nil }
}
