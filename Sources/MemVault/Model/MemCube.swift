public import Foundation

/// Who owns a cube: one subject (a personal cube) or the tenant (a shared cube, e.g. product knowledge).
public enum CubeOwner: Sendable, Equatable, Hashable {
    case subject(SubjectID)
    case tenant
}

/// Where a cube came from.
public struct Provenance: Sendable, Equatable, Codable {
    /// E.g. "chat-app", "support-desk", "memos-export".
    public var origin: String?
    /// Who or what created it (an application or operator id).
    public var createdBy: String?
    /// The platform or bundle it was imported from, if any.
    public var importedFrom: String?

    public init(origin: String? = nil, createdBy: String? = nil, importedFrom: String? = nil) {
        self.origin = origin
        self.createdBy = createdBy
        self.importedFrom = importedFrom
    }
}

/// What a caller supplies to create a cube.
public struct NewCube: Sendable {
    public var owner: CubeOwner
    public var name: String
    /// A short token such as `conversation` or `knowledge`.
    public var kind: String
    /// The category new memories get when they name none.
    public var defaultCategory: String
    public var provenance: Provenance
    /// How its memories' text is analysed for search; fixed for the cube's life.
    public var analysis: TextAnalysis
    /// The dimension of its memories' embeddings (nil: the cube keeps none); fixed for the cube's life.
    public var embeddingDimension: Int?
    /// The model that embeds its memories in the background (`Embedder.name`; its dimension must be
    /// `embeddingDimension`); nil if callers supply embeddings themselves, or none are kept.
    public var embedder: String?

    public init(
        owner: CubeOwner, name: String, kind: String = "general", defaultCategory: String = "general",
        provenance: Provenance = Provenance(), analysis: TextAnalysis = .standard, embeddingDimension: Int? = nil,
        embedder: String? = nil
    ) {
        self.embeddingDimension = embeddingDimension
        self.embedder = embedder
        self.owner = owner
        self.name = name
        self.kind = kind
        self.defaultCategory = defaultCategory
        self.provenance = provenance
        self.analysis = analysis
    }
}

/// A MemCube: a container of memories with its (decrypted) metadata.
public struct MemCube: Sendable, Equatable, Codable {
    public static let schemaVersion = 1

    public let id: CubeID
    /// The owning subject, or nil for a tenant-shared cube.
    public let subject: SubjectID?
    public let name: String
    public let kind: String
    public let defaultCategory: String
    public let provenance: Provenance
    public let analysis: TextAnalysis
    public let embeddingDimension: Int?
    public let embedder: String?
    public let schemaVersion: Int
    public let createdAt: Date
    public let updatedAt: Date
    /// Set for an installed memory module: the cube is read-only.
    public private(set) var module: ModuleIdentity? = nil

    public var owner: CubeOwner { subject.map(CubeOwner.subject) ?? .tenant }
}
