import Foundation
public import MemVaultCrypto

/// A signed statement of a log's size and Merkle root, in the C2SP tlog-checkpoint format, signed as a C2SP
/// signed note with Ed25519:
///
/// ```
/// <origin>\n<size>\n<base64 root hash>\n
/// \n
/// — <key name> <base64(key hash[4] ‖ signature[64])>\n
/// ```
/// Whoever holds a checkpoint can later demand a consistency proof from it to the current log: nothing it covers
/// can have been changed, removed or reordered without the proof failing.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: UInt64
    public let rootHash: [UInt8]

    public init(origin: String, size: UInt64, rootHash: [UInt8]) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
    }

    /// The signed part: exactly these bytes are signed.
    public var body: String {
        "\(origin)\n\(size)\n\(Data(rootHash).base64EncodedString())\n"
    }

    /// The signed note.
    public func signed(by key: Ed25519.PrivateKey, keyName: String) throws -> String {
        let verifier = try CheckpointVerifier(keyName: keyName, publicKey: key.publicKey)
        let signature = try key.signature(for: Array(body.utf8))
        return body + "\n" + "— \(keyName) " + Data(verifier.keyHash + signature).base64EncodedString() + "\n"
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case noSignatureByKey(String)
        case badSignature(String)

        public var description: String {
            switch self {
            case .malformed(let reason): "malformed checkpoint: \(reason)"
            case .noSignatureByKey(let name): "the checkpoint carries no signature by key '\(name)'"
            case .badSignature(let name): "the signature by key '\(name)' does not verify: the checkpoint was altered"
            }
        }
    }

    /// The origin a note claims on its first line, unverified: to find the log (and so the verifier) it belongs to.
    public static func claimedOrigin(of note: String) -> String? {
        guard let line = note.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
            !line.isEmpty
        else { return nil }
        return String(line)
    }

    /// Parses a signed note and checks its signature by `verifier`; anything else is refused.
    public static func open(_ note: String, verifier: CheckpointVerifier) throws -> Checkpoint {
        guard let split = note.range(of: "\n\n") else { throw Failure.malformed("no blank line before the signatures") }
        let body = String(note[..<split.lowerBound]) + "\n"
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = UInt64(lines[1]), let root = Data(base64Encoded: String(lines[2])),
            root.count == 32, !lines[0].isEmpty
        else { throw Failure.malformed("expected origin, size and a base64 SHA-256 root on the first three lines") }
        var found = false
        for line in note[split.upperBound...].split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "—", parts[1] == verifier.keyName else { continue }
            guard let blob = Data(base64Encoded: String(parts[2])), blob.count == 68 else {
                throw Failure.malformed("a signature line is not base64 of 68 bytes")
            }
            guard Array(blob.prefix(4)) == verifier.keyHash else { continue }
            found = true
            guard verifier.publicKey.isValidSignature(Array(blob.dropFirst(4)), for: Array(body.utf8)) else {
                throw Failure.badSignature(verifier.keyName)
            }
        }
        guard found else { throw Failure.noSignatureByKey(verifier.keyName) }
        return Checkpoint(origin: String(lines[0]), size: size, rootHash: Array(root))
    }
}

/// Who may sign checkpoints: a key name and an Ed25519 public key, as a C2SP verifier key
/// `<name>+<hex key hash>+<base64(0x01 ‖ public key)>`.
public struct CheckpointVerifier: Sendable, Equatable {
    public let keyName: String
    public let publicKey: Ed25519.PublicKey
    /// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), first 4 bytes (C2SP signed-note).
    public let keyHash: [UInt8]

    public init(keyName: String, publicKey: Ed25519.PublicKey) throws {
        guard !keyName.isEmpty, !keyName.contains(where: { $0 == " " || $0 == "+" || $0 == "\n" }) else {
            throw Checkpoint.Failure.malformed("key names are non-empty and contain no space, '+' or newline")
        }
        self.keyName = keyName
        self.publicKey = publicKey
        keyHash = Array(try SHA256.hash(Array(keyName.utf8) + [0x0A, 0x01] + publicKey.rawRepresentation).prefix(4))
    }

    /// The verifier key string an auditor keeps.
    public var verifierKey: String {
        "\(keyName)+\(Hex.encode(keyHash))+" + Data([0x01] + publicKey.rawRepresentation).base64EncodedString()
    }

    public init(verifierKey: String) throws {
        // Only the first two "+" separate fields: base64 may contain "+" itself.
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let key = Data(base64Encoded: String(parts[2])), key.count == 33, key.first == 0x01
        else { throw Checkpoint.Failure.malformed("a verifier key is name+hash+base64(0x01 ‖ Ed25519 key)") }
        try self.init(keyName: String(parts[0]), publicKey: Ed25519.PublicKey(rawRepresentation: key.dropFirst()))
        guard Hex.encode(keyHash) == parts[1] else {
            throw Checkpoint.Failure.malformed("the verifier key's hash does not match its name and key")
        }
    }
}
