public import Foundation
import MemVaultAudit
import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// A publisher the tenant trusts to install modules from.
public struct TrustedPublisher: Sendable, Equatable, Codable {
    /// Ed25519, hex.
    public let key: String
    public let name: String
    public let trustedBy: String
    public let trustedAt: Date
    public let revokedAt: Date?

    public var isTrusted: Bool { revokedAt == nil }
}

/// Memory modules (docs/portability.md): a tenant-shared cube published as a signed, read-only bundle with a name,
/// version and license; installed only from a publisher the tenant trusts, as a read-only shared cube; upgraded by
/// installing the new version beside the old and switching in one unit of work; uninstalled without residue.
extension TenantStore {
    // MARK: - Publishing

    /// Publishes the tenant-shared cube as a module signed with this tenant's key (decided as a migration in the
    /// format `memvault-module`).
    public func packModule(_ cube: CubeID, name: String, version: String, license: String) async throws
        -> ExportedBundle
    {
        let module = try Self.moduleInfo(name: name, version: version, license: license)
        let export = try await exportCube(
            cube, as: Transfer(.outbound, format: "memvault-module", platform: "memvault"))
        return try bundle(export, kind: .module, recipient: nil, module: module)
    }

    /// Signs a module (verified first) with this tenant's key instead of its current signer's: how a publisher
    /// vouches for a module another tenant packed.
    public func signModule(_ bytes: [UInt8]) async throws -> ExportedBundle {
        let (manifest, _, content) = try openBundle(bytes, kind: .module, trustedSenders: nil)
        // The name and version come from the file: checked before they are recorded (no free text in the log).
        guard let info = manifest.module else {
            throw MemVaultError(.invalidArgument, "the module names no module; nothing was signed")
        }
        _ = try Self.moduleInfo(name: info.name, version: info.version, license: info.license)
        let signer = try keys.portabilityKeys(tenant).signing
        var signed = manifest
        signed.signer = Hex.encode(signer.publicKey.rawRepresentation)
        let output = try BundleContainer.make(manifest: signed, content: content, signer: signer, recipient: nil)
        try await perform(.signModule) { work in
            work.detail = "module \(info.name) \(info.version), sha256:\(manifest.contentHash)"
        }
        return ExportedBundle(bytes: output, manifest: signed, withheld: [])
    }

    // MARK: - Trust

    /// Trusts (or, with `revoke`, stops trusting) a publisher's key for the tenant's module installations.
    public func trustPublisher(key: String, name: String, revoke: Bool = false) async throws -> TrustedPublisher {
        let key = key.lowercased()
        guard let bytes = Hex.decode(key), (try? Ed25519.PublicKey(rawRepresentation: bytes)) != nil else {
            throw MemVaultError(
                .invalidArgument,
                "the publisher key is not an Ed25519 public key (64 hex digits, its `keys recipient` signer)")
        }
        guard !name.isEmpty else { throw MemVaultError(.invalidArgument, "the publisher needs a name") }
        try limits.checkText(name, "the publisher name", limits.maximumNameBytes)
        return try await perform(.trustPublisher) { [self] work in
            let existing = try verifiedPublishers(in: work.transaction).first { $0.key == key }
            let time = StoredTime(now: work.now)
            let unsealed: TrustedPublisherRecord
            if revoke {
                guard let existing, existing.revokedAt == nil else {
                    throw MemVaultError(.notFound, "publisher \(key.prefix(16))… is not trusted")
                }
                unsealed = TrustedPublisherRecord(
                    key: key, name: existing.name, trustedBy: existing.trustedBy, trustedAt: existing.trustedAt,
                    revokedAt: time, seal: [])
            } else {
                if let existing, existing.revokedAt == nil {
                    throw MemVaultError(.conflict, "publisher \(key.prefix(16))… is already trusted")
                }
                unsealed = TrustedPublisherRecord(
                    key: key, name: name, trustedBy: context.actor, trustedAt: time, revokedAt: nil, seal: [])
            }
            let record = TrustedPublisherRecord(
                key: key, name: unsealed.name, trustedBy: unsealed.trustedBy, trustedAt: unsealed.trustedAt,
                revokedAt: unsealed.revokedAt,
                seal: try resources.integrity.seal(Bindings.trustedPublisher(tenant, unsealed)))
            try work.transaction.saveTrustedPublisher(record)
            work.detail = "\(revoke ? "revoked" : "trusted") publisher \(key)"
            return Self.publisher(record)
        }
    }

    /// Every publisher the tenant trusts or once trusted.
    public func trustedPublishers() async throws -> [TrustedPublisher] {
        try await perform(.listModules) { [self] work in
            work.detail = "publishers"
            return try verifiedPublishers(in: work.transaction).map(Self.publisher)
        }
    }

    private func verifiedPublishers(in reader: any PublisherReader) throws -> [TrustedPublisherRecord] {
        try reader.trustedPublishers().map { record in
            let unsealed = TrustedPublisherRecord(
                key: record.key, name: record.name, trustedBy: record.trustedBy, trustedAt: record.trustedAt,
                revokedAt: record.revokedAt, seal: [])
            try resources.integrity.verify(
                record.seal, Bindings.trustedPublisher(tenant, unsealed), "a trusted publisher record")
            return record
        }
    }

    private static func publisher(_ record: TrustedPublisherRecord) -> TrustedPublisher {
        TrustedPublisher(
            key: record.key, name: record.name, trustedBy: record.trustedBy, trustedAt: record.trustedAt.date,
            revokedAt: record.revokedAt?.date)
    }

    // MARK: - Installation

    /// Installs a module signed by a publisher the tenant trusts, as a read-only shared cube. A module of the same
    /// name must not be installed (upgrade it instead).
    public func installModule(_ bytes: [UInt8]) async throws -> ImportedCube {
        try await install(bytes, change: .install)
    }

    /// Installs a new version of an installed module beside the old one and switches to it in one unit of work:
    /// readers see the old version or the new, never neither; the old version leaves nothing in the files.
    public func upgradeModule(_ bytes: [UInt8]) async throws -> ImportedCube {
        try await install(bytes, change: .upgrade)
    }

    private func install(_ bytes: [UInt8], change: ModuleChange) async throws -> ImportedCube {
        let trusted = try await storage.read { [self] reader in
            try verifiedPublishers(in: reader).filter { $0.revokedAt == nil }.map(\.key)
        }
        guard !trusted.isEmpty else {
            throw MemVaultError(
                .invalidArgument,
                "tenant '\(tenant)' trusts no module publisher yet: trust one with `memvault module trust` first; "
                    + "nothing was installed")
        }
        let (manifest, cube, _) = try openBundle(bytes, kind: .module, trustedSenders: Set(trusted))
        guard let info = manifest.module, cube.subjectExternalID == nil else {
            throw MemVaultError(
                .invalidArgument, "the module names no module, or belongs to a subject; nothing was installed")
        }
        _ = try Self.moduleInfo(name: info.name, version: info.version, license: info.license)
        let identity = ModuleIdentity(
            name: info.name, version: info.version, license: info.license, publisher: manifest.signer,
            contentHash: manifest.contentHash)
        return try await importCubes(
            [(cube, manifest.contentHash)], as: Transfer(.inbound, format: "memvault-module", platform: "memvault"),
            operation: .installModule, module: (identity, change))[0]
    }

    /// The installed module a change replaces (an upgrade's), after checking the change is possible.
    func moduleToReplace(
        _ identity: ModuleIdentity, _ change: ModuleChange, in work: TenantWork
    ) throws -> CubeContext? {
        let installed = try installedModules(in: work.transaction).filter { $0.module?.name == identity.name }
        switch change {
        case .install:
            if let existing = installed.first?.module {
                throw MemVaultError(
                    .conflict,
                    "module '\(identity.name)' \(existing.version) is installed: upgrade it instead; nothing was installed"
                )
            }
            return nil
        case .upgrade:
            guard let existing = installed.first, let version = existing.module?.version else {
                throw MemVaultError(
                    .notFound, "module '\(identity.name)' is not installed: install it first; nothing was installed")
            }
            guard version != identity.version || existing.module?.contentHash != identity.contentHash else {
                throw MemVaultError(.conflict, "module '\(identity.name)' \(version) is already installed")
            }
            return existing
        }
    }

    private func installedModules(in reader: any SubjectReader & CubeReader) throws -> [CubeContext] {
        var contexts: [CubeContext] = []
        var after: CubeID?
        while true {
            let page = try reader.cubes(.shared, after: after, limit: 200)
            for record in page {
                let context = try verifiedContext(for: record, in: reader)
                if context.module != nil { contexts.append(context) }
            }
            guard page.count == 200 else { return contexts }
            after = page.last?.id
        }
    }

    /// The installed modules, as their cubes.
    public func modules() async throws -> [MemCube] {
        try await perform(.listModules) { [self] work in
            let modules = try installedModules(in: work.transaction).map { try openCube($0) }
            work.returned = UInt64(modules.count)
            work.detail = "modules"
            return modules
        }
    }

    /// Removes an installed module with every memory, its index and embeddings, leaving nothing in the files.
    public func uninstallModule(_ name: String) async throws -> MemCube {
        let removed = try await perform(.uninstallModule) { [self] work in
            guard let context = try installedModules(in: work.transaction).first(where: { $0.module?.name == name })
            else { throw MemVaultError(.notFound, "module '\(name.prefix(64))' is not installed") }
            let cube = try openCube(context)
            guard try work.transaction.deleteCube(context.record.id) else {
                throw MemVaultError(.notFound, "module '\(name.prefix(64))' is not installed")
            }
            work.cube = context.record.id
            work.detail = "module \(name) \(cube.module?.version ?? "") uninstalled"
            return cube
        }
        resources.cubeContexts.withLock { $0.removeValue(forKey: removed.id) }
        resources.vectorSets.withLock { $0.removeValue(forKey: removed.id) }
        try await storage.purgeDeleted()
        return removed
    }

    private static func moduleInfo(name: String, version: String, license: String) throws -> BundleManifest.Module {
        _ = try Token.validate(name, what: "module name")
        guard (1...64).contains(version.utf8.count),
            version.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || ".-+".unicodeScalars.contains($0)
            })
        else {
            throw MemVaultError(.invalidArgument, "invalid module version '\(version.prefix(64))': use e.g. 1.2.0")
        }
        guard !license.isEmpty, license.utf8.count <= 128 else {
            throw MemVaultError(
                .invalidArgument, "a module needs a license (an SPDX id such as CC-BY-4.0), at most 128 bytes")
        }
        return BundleManifest.Module(name: name, version: version, license: license)
    }
}
