import Foundation
public import MemVaultCrypto

/// The bundle file: a signed container of a manifest and a cube's portable JSON, sealed to a recipient for a
/// migration, in the clear for a module. Nothing in it is ever executed; every length is checked against what is
/// left, and nothing may trail the signature.
///
///     "MVBUNDLE" ‖ u8 container version (1) ‖ u32 manifest length ‖ manifest JSON
///     ‖ [migration: ephemeral X25519 key (32) ‖ nonce (12) ‖ tag (16)]
///     ‖ u64 content length ‖ content (the sealed or clear JSON)
///     ‖ Ed25519 signature (64) over "MemVault bundle v1" ‖ 0 ‖ every byte before it
///
/// A migration's content is sealed with `RecipientSealing` (context "bundle"), its associated data binding it to
/// the manifest's hash, so a content cannot be moved under another manifest.
public enum BundleContainer {
    static let magic = Array("MVBUNDLE".utf8)
    static let containerVersion: UInt8 = 1
    static let signatureDomain = Array("MemVault bundle v1".utf8) + [0]
    static let sealingContext = Array("bundle".utf8)

    /// Signs `manifest` and `content` into a bundle, sealing the content to `recipient` for a migration.
    public static func make(
        manifest: BundleManifest, content: [UInt8], signer: Ed25519.PrivateKey, recipient: X25519.PublicKey?
    ) throws -> [UInt8] {
        let manifestBytes = Array(try PortableJSON.encoder().encode(manifest))
        var output = magic + [containerVersion]
        output += bigEndian(UInt32(manifestBytes.count)) + manifestBytes
        var stored = content
        if manifest.kind == .migration {
            guard let recipient else { throw BundleError.malformed("a migration bundle needs a recipient") }
            let sealed = try RecipientSealing.seal(
                content, to: recipient, context: sealingContext,
                authenticating: try associatedData(manifestBytes))
            output += sealed.ephemeralPublicKey.rawRepresentation + sealed.box.nonce.bytes + sealed.box.tag
            stored = sealed.box.ciphertext
        }
        output += bigEndian(UInt64(stored.count)) + stored
        output += try signer.signature(for: signatureDomain + output)
        return output
    }

    /// A bundle read and verified: its manifest (signature checked) and its content (opened, hash checked).
    public struct Opened: Sendable {
        public let manifest: BundleManifest
        public let content: [UInt8]
    }

    /// Reads a bundle's manifest, checking its format and signature but not opening its content: what whoever
    /// carries a bundle (a client of the server, an operator) can learn of it without the recipient's key.
    public static func manifest(of bytes: [UInt8], maximumBytes: Int) throws -> BundleManifest {
        try verified(bytes, maximumBytes: maximumBytes).manifest
    }

    /// Reads a bundle: format, signature (under `trustedSigners` if given), recipient and content hash, in that order.
    /// `recipient` opens a migration's sealed content.
    public static func open(
        _ bytes: [UInt8], recipient: X25519.PrivateKey?, trustedSigners: Set<String>?, maximumBytes: Int
    ) throws -> Opened {
        let bundle = try verified(bytes, maximumBytes: maximumBytes)
        let manifest = bundle.manifest
        if let trustedSigners, !trustedSigners.contains(manifest.signer) {
            throw BundleError.untrustedSigner(manifest.signer)
        }
        var content = bundle.stored
        if let sealing = bundle.sealing {
            guard let recipient, manifest.recipient == Hex.encode(recipient.publicKey.rawRepresentation) else {
                throw BundleError.wrongRecipient(manifest.recipient ?? "none")
            }
            do {
                content = try RecipientSealing.open(
                    RecipientSealing.Sealed(
                        ephemeralPublicKey: X25519.PublicKey(rawRepresentation: sealing.ephemeral),
                        box: AES256GCM.SealedBox(
                            nonce: AES256GCM.Nonce(bytes: sealing.nonce), ciphertext: bundle.stored, tag: sealing.tag)),
                    with: recipient, context: sealingContext, authenticating: try associatedData(bundle.manifestBytes))
            } catch {
                throw BundleError.contentMismatch("it does not decrypt under this tenant's recipient key")
            }
        }
        guard content.count == manifest.contentBytes,
            Hex.encode(try SHA256.hash(content)) == manifest.contentHash
        else { throw BundleError.contentMismatch("its SHA-256 or size differs from the manifest's") }
        return Opened(manifest: manifest, content: content)
    }

    /// A bundle's parts, its layout and signature checked.
    private struct Verified {
        let manifest: BundleManifest
        let manifestBytes: [UInt8]
        let sealing: (ephemeral: [UInt8], nonce: [UInt8], tag: [UInt8])?
        /// The content as stored: sealed for a migration.
        let stored: [UInt8]
    }

    private static func verified(_ bytes: [UInt8], maximumBytes: Int) throws -> Verified {
        guard bytes.count <= maximumBytes else { throw BundleError.oversize(bytes: bytes.count, maximum: maximumBytes) }
        var reader = Reader(bytes)
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
            throw BundleError.notABundle
        }
        _ = try reader.take(magic.count, "the header")
        let version = try reader.take(1, "the header")[0]
        guard version == containerVersion else {
            throw BundleError.unsupportedVersion(container: Int(version), manifest: nil)
        }
        let manifestBytes = try reader.take(Int(try reader.integer(4, "the manifest length")), "the manifest")
        let manifest: BundleManifest
        do {
            manifest = try PortableJSON.decoder().decode(BundleManifest.self, from: Data(manifestBytes))
        } catch {
            throw BundleError.malformed("the manifest is not a bundle manifest (\(describe(error)))")
        }
        guard manifest.formatVersion == BundleManifest.formatVersion else {
            throw BundleError.unsupportedVersion(container: Int(version), manifest: manifest.formatVersion)
        }
        var sealing: (ephemeral: [UInt8], nonce: [UInt8], tag: [UInt8])?
        if manifest.kind == .migration {
            sealing = (
                try reader.take(X25519.keyByteCount, "the sealing header"),
                try reader.take(AES256GCM.nonceByteCount, "the sealing header"),
                try reader.take(AES256GCM.tagByteCount, "the sealing header")
            )
        }
        let length = try reader.integer(8, "the content length")
        guard length <= UInt64(maximumBytes) else { throw BundleError.truncated("the content") }
        let stored = try reader.take(Int(length), "the content")
        let signed = Array(bytes[..<reader.offset])
        let signature = try reader.take(Ed25519.signatureByteCount, "the signature")
        guard reader.isAtEnd else { throw BundleError.malformed("bytes follow the signature") }

        guard let signerBytes = Hex.decode(manifest.signer),
            let signer = try? Ed25519.PublicKey(rawRepresentation: signerBytes)
        else { throw BundleError.malformed("the manifest's signer is not an Ed25519 public key") }
        guard signer.isValidSignature(signature, for: signatureDomain + signed) else { throw BundleError.badSignature }
        return Verified(manifest: manifest, manifestBytes: manifestBytes, sealing: sealing, stored: stored)
    }

    private static func associatedData(_ manifest: [UInt8]) throws -> [UInt8] {
        signatureDomain + (try SHA256.hash(manifest))
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            "at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default: "not valid JSON"
        }
    }

    /// Reads lengths and fields off the front, refusing to read past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int, _ what: String) throws -> [UInt8] {
            guard count >= 0, bytes.count - offset >= count else { throw BundleError.truncated(what) }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func integer(_ width: Int, _ what: String) throws -> UInt64 {
            try take(width, what).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}
