import Foundation
import MemVaultCrypto
import MemVaultPolicy

/// A tenant's public keys for bundles: the key senders seal migrations to, and the key its own bundles and modules
/// are signed with.
public struct PortabilityKeys: Sendable, Equatable, Codable {
    public let tenant: TenantID
    public let installation: String
    /// X25519, hex.
    public let recipient: String
    /// Ed25519, hex.
    public let signer: String
}

/// A sealed, signed bundle ready to hand to its recipient.
public struct ExportedBundle: Sendable {
    public let bytes: [UInt8]
    public let manifest: BundleManifest
    /// Why memories were kept back, where known (the manifest counts them).
    public let withheld: [Withheld]

    public init(bytes: [UInt8], manifest: BundleManifest, withheld: [Withheld]) {
        self.bytes = bytes
        self.manifest = manifest
        self.withheld = withheld
    }
}

extension TenantStore {
    public func portabilityKeys() throws -> PortabilityKeys {
        let keys = try keys.portabilityKeys(tenant)
        return PortabilityKeys(
            tenant: tenant, installation: self.keys.installationID,
            recipient: Hex.encode(keys.recipient.publicKey.rawRepresentation),
            signer: Hex.encode(keys.signing.publicKey.rawRepresentation))
    }

    /// Exports the cube (decided and recorded as a migration to MemVault) and seals it to `recipient`, signed with
    /// the tenant's key. Whoever carries the bundle never sees its content.
    public func exportBundle(_ cube: CubeID, to recipient: String) async throws -> ExportedBundle {
        guard let bytes = Hex.decode(recipient), let recipientKey = try? X25519.PublicKey(rawRepresentation: bytes)
        else {
            throw MemVaultError(
                .invalidArgument,
                "the recipient is not an X25519 public key (64 hex digits from `memvault keys recipient`)")
        }
        let export = try await exportCube(
            cube, as: Transfer(.outbound, format: "memvault-bundle", platform: "memvault"))
        return try bundle(export, kind: .migration, recipient: recipientKey, module: nil)
    }

    func bundle(
        _ export: CubeExport, kind: BundleManifest.Kind, recipient: X25519.PublicKey?, module: BundleManifest.Module?
    ) throws -> ExportedBundle {
        let content = export.content
        let keys = try keys.portabilityKeys(tenant)
        let manifest = BundleManifest(
            formatVersion: BundleManifest.formatVersion, kind: kind,
            // As the signed manifest reads back, so the manifest returned is the one in the bundle.
            createdAt: ISO8601Milliseconds.rounded(export.exportedAt),
            source: .init(
                installation: self.keys.installationID, tenant: tenant.rawValue, policyRevision: export.policyRevision),
            signer: Hex.encode(keys.signing.publicKey.rawRepresentation),
            recipient: recipient.map { Hex.encode($0.rawRepresentation) },
            contents: .init(
                memories: export.cube.memories.count, versions: export.cube.versionCount,
                embeddings: export.cube.embeddingCount, embeddingDimension: export.cube.embeddingDimension,
                categories: export.cube.categories.sorted(), withheld: export.withheld.reduce(0) { $0 + $1.count }),
            contentHash: export.contentHash, contentBytes: content.count, module: module)
        return ExportedBundle(
            bytes: try BundleContainer.make(
                manifest: manifest, content: content, signer: keys.signing, recipient: recipient),
            manifest: manifest, withheld: export.withheld)
    }

    /// Verifies a migration bundle (format, signature, sealed to this tenant, content hash, counts) and imports its
    /// cube. `trustedSenders` (hex Ed25519 keys), if given, are the only signers accepted.
    public func importBundle(_ bytes: [UInt8], trustedSenders: Set<String>? = nil) async throws -> ImportedCube {
        let (manifest, cube, _) = try openBundle(bytes, kind: .migration, trustedSenders: trustedSenders)
        return try await importCube(
            cube, as: Transfer(.inbound, format: "memvault-bundle", platform: "memvault"),
            contentHash: manifest.contentHash)
    }

    /// A bundle verified and its cube decoded, checked against the manifest's counts, with the content's bytes;
    /// `BundleError`s become `invalid_argument` errors that say what was wrong.
    func openBundle(
        _ bytes: [UInt8], kind: BundleManifest.Kind, trustedSenders: Set<String>?
    ) throws -> (manifest: BundleManifest, cube: PortableCube, content: [UInt8]) {
        do {
            let opened = try BundleContainer.open(
                bytes, recipient: kind == .migration ? keys.portabilityKeys(tenant).recipient : nil,
                trustedSigners: trustedSenders, maximumBytes: limits.maximumBundleBytes)
            guard opened.manifest.kind == kind else {
                throw BundleError.malformed("it is a \(opened.manifest.kind.rawValue) bundle, not a \(kind.rawValue)")
            }
            let cube: PortableCube
            do {
                cube = try PortableJSON.decoder().decode(PortableCube.self, from: Data(opened.content))
            } catch {
                throw BundleError.malformed("its content is not a portable cube (\(BundleContainer.describe(error)))")
            }
            let contents = opened.manifest.contents
            guard cube.memories.count == contents.memories, cube.versionCount == contents.versions,
                cube.embeddingCount == contents.embeddings, cube.categories.sorted() == contents.categories
            else { throw BundleError.contentMismatch("its counts or categories differ from the manifest's") }
            return (opened.manifest, cube, opened.content)
        } catch let error as BundleError {
            throw MemVaultError(.invalidArgument, "\(error); nothing was imported")
        }
    }
}
