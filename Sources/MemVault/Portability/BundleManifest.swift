public import Foundation

/// What a bundle says about itself in the clear, covered by its signature: enough to decide whether to import it
/// (format, kind, counts, categories, where it came from, for whom it is sealed) and to check what it holds
/// (the content hash). It never names a subject or carries content; the cube's name and the memories are in the
/// sealed content (docs/portability.md).
public struct BundleManifest: Sendable, Equatable, Codable {
    public static let formatVersion = 1

    public enum Kind: String, Sendable, Codable {
        /// A cube sealed to one recipient deployment's tenant.
        case migration
        /// A tenant-shared cube published signed and in the clear, for anyone who trusts its publisher.
        case module
    }

    /// Where the bundle was made.
    public struct Source: Sendable, Equatable, Codable {
        public var installation: String
        public var tenant: String
        public var policyRevision: String
    }

    /// What the content holds, counted.
    public struct Contents: Sendable, Equatable, Codable {
        public var memories: Int
        public var versions: Int
        public var embeddings: Int
        public var embeddingDimension: Int?
        public var categories: [String]
        /// Memories the source's policy kept back from the export.
        public var withheld: Int
    }

    /// A module's identity: name, version and license, under its publisher's key (the signer).
    public struct Module: Sendable, Equatable, Codable {
        public var name: String
        public var version: String
        public var license: String
    }

    public var formatVersion: Int
    public var kind: Kind
    public var createdAt: Date
    public var source: Source
    /// The sender's Ed25519 public key (hex): the key the signature verifies under.
    public var signer: String
    /// The recipient's X25519 public key (hex), for a migration.
    public var recipient: String?
    public var contents: Contents
    /// SHA-256 (hex) of the content's bytes, the portable cube's JSON.
    public var contentHash: String
    public var contentBytes: Int
    public var module: Module?
}
