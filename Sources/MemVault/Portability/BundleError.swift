/// Why a bundle was refused. Every case is decided before anything is written, and none echoes content.
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case notABundle
    case truncated(String)
    case oversize(bytes: Int, maximum: Int)
    case unsupportedVersion(container: Int, manifest: Int?)
    case malformed(String)
    /// The signature does not verify: the bundle was changed after it was signed, or the signature was replaced.
    case badSignature
    /// Signed by a key other than the one the importer trusts.
    case untrustedSigner(String)
    case wrongRecipient(String)
    /// The content does not match the manifest (hash, size or counts) or did not decrypt.
    case contentMismatch(String)

    public var description: String {
        switch self {
        case .notABundle: "not a MemVault bundle (the file does not start with MVBUNDLE)"
        case .truncated(let what): "the bundle is truncated: \(what) is cut short"
        case .oversize(let bytes, let maximum):
            "the bundle is \(bytes) bytes; this installation takes bundles of at most \(maximum) bytes"
        case .unsupportedVersion(let container, let manifest):
            "the bundle is in an unknown format (container \(container)"
                + (manifest.map { ", manifest \($0)" } ?? "") + "); this MemVault reads format 1: upgrade it"
        case .malformed(let reason): "the bundle is malformed: \(reason)"
        case .badSignature:
            "the bundle's signature does not verify: it was changed after it was signed; nothing was imported"
        case .untrustedSigner(let key):
            "the bundle is signed by \(key.prefix(16))…, which is not the sender this import trusts"
        case .wrongRecipient(let key):
            "the bundle is sealed to another recipient (\(key.prefix(16))…), not to this tenant; ask the sender to "
                + "seal it to the key `memvault keys recipient` shows here"
        case .contentMismatch(let reason): "the bundle's content does not match its manifest: \(reason)"
        }
    }
}
