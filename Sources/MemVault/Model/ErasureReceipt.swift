import Foundation
public import MemVaultAudit
import MemVaultCrypto

/// What an erasure request's data-protection officer hands on as proof: a JSON document signed with the tenant's
/// audit key, naming the request, the subject's audit pseudonym, what was erased and kept (and on which basis), and
/// the audit entry that records the completion with its inclusion proof in a signed checkpoint.
///
/// The signature covers the document without its `signature` member, serialised canonically: keys sorted, no
/// whitespace, slashes and non-ASCII characters as they are (Python's `json.dumps(…, sort_keys=True,
/// separators=(",", ":"), ensure_ascii=False)`); keys are lowercase words joined by underscores, so every JSON
/// library sorts them alike. `Audit/verify_audit.py --receipt` checks a receipt without MemVault.
public struct ErasureReceipt: Sendable, Equatable, Codable {
    public static let format = "memvault-erasure-receipt/1"

    public struct Erased: Sendable, Equatable, Codable {
        public let category: String
        public let count: Int
    }

    public struct Kept: Sendable, Equatable, Codable {
        public let category: String
        public let count: Int
        public let basis: String
        public let article: String
        /// ISO 8601; absent while a legal hold keeps them.
        public let until: String?
        public let purposes: [String]
    }

    /// The completion's audit entry and the proof that a signed checkpoint includes it.
    public struct AuditProof: Sendable, Equatable, Codable {
        public let origin: String
        public let sequence: UInt64
        /// The entry's canonical encoding (Audit/SPEC.md), base64.
        public let entry: String
        public let leafHash: String
        public let treeSize: UInt64
        public let proof: [String]
        /// The C2SP signed note of the tree of `treeSize` entries.
        public let checkpoint: String

        private enum CodingKeys: String, CodingKey {
            case origin, sequence, entry, proof, checkpoint
            case leafHash = "leaf_hash"
            case treeSize = "tree_size"
        }
    }

    public struct Signature: Sendable, Equatable, Codable {
        public let algorithm: String
        /// The C2SP verifier key (`memvault audit key`) whose Ed25519 key signed.
        public let key: String
        public let value: String
    }

    public let format: String
    public let tenant: String
    public let request: String
    public let subject: String
    public let state: String
    /// Absent: everything of the subject.
    public let categories: [String]?
    public let ground: String
    public let article: String
    public let requester: String
    public let receivedAt: String
    public let dueAt: String
    public let completedAt: String
    public let erased: [Erased]
    public let retained: [Kept]
    public let cubes: Int
    public let consentRecords: Int
    public let keysDestroyed: Int
    public let audit: AuditProof
    public var signature: Signature?

    private enum CodingKeys: String, CodingKey {
        case format, tenant, request, subject, state, categories, ground, article, requester, erased, retained, cubes
        case audit, signature
        case receivedAt = "received_at"
        case dueAt = "due_at"
        case completedAt = "completed_at"
        case consentRecords = "consent_records"
        case keysDestroyed = "keys_destroyed"
    }

    // MARK: - Signing

    /// The bytes the signature covers.
    public func signedBytes() throws -> [UInt8] {
        var unsigned = self
        unsigned.signature = nil
        return Array(try Self.canonicalEncoder.encode(unsigned))
    }

    /// The document as stored and handed out: canonical, with its signature.
    public func document() throws -> [UInt8] {
        Array(try Self.canonicalEncoder.encode(self))
    }

    static func signed(_ unsigned: ErasureReceipt, by key: Ed25519.PrivateKey, verifier: CheckpointVerifier) throws
        -> ErasureReceipt
    {
        var receipt = unsigned
        receipt.signature = nil
        let value = try key.signature(for: receipt.signedBytes())
        receipt.signature = Signature(
            algorithm: "ed25519", key: verifier.verifierKey, value: Data(value).base64EncodedString())
        return receipt
    }

    private static var canonicalEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    // MARK: - Verification

    /// What verifying a receipt found: every check with its outcome.
    public struct Verification: Sendable, Equatable, Encodable {
        public struct Check: Sendable, Equatable, Encodable {
            public let check: String
            public let passed: Bool
            public let problem: String?
        }

        public let request: String?
        public let checks: [Check]
        public var isValid: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }
    }

    /// Checks a receipt document against the tenant's verifier key: its signature, the checkpoint's signature,
    /// the inclusion of the completion entry in the checkpoint's tree, and that the entry records this request's
    /// completion for this subject. Never throws for a bad receipt: the verification says what failed.
    public static func verify(_ document: [UInt8], verifier: CheckpointVerifier) -> Verification {
        var checks: [Verification.Check] = []
        func check(_ name: String, _ problem: String?) {
            checks.append(.init(check: name, passed: problem == nil, problem: problem))
        }
        let receipt: ErasureReceipt
        do {
            receipt = try JSONDecoder().decode(ErasureReceipt.self, from: Data(document))
        } catch {
            check("document", "not an erasure receipt: the JSON does not have the receipt's fields")
            return Verification(request: nil, checks: checks)
        }
        check("format", receipt.format == format ? nil : "unknown format '\(receipt.format.prefix(64))'")
        // The signature.
        if let signature = receipt.signature, signature.algorithm == "ed25519",
            let value = Data(base64Encoded: signature.value)
        {
            let signedBy = signature.key == verifier.verifierKey
            check("signing key", signedBy ? nil : "signed by another key than the tenant's audit key")
            let valid = (try? receipt.signedBytes()).map { verifier.publicKey.isValidSignature(Array(value), for: $0) }
            check("signature", valid == true ? nil : "the signature does not verify: the receipt was altered")
        } else {
            check("signature", "no Ed25519 signature")
        }
        // The checkpoint and the inclusion of the completion entry.
        let audit = receipt.audit
        do {
            let checkpoint = try Checkpoint.open(audit.checkpoint, verifier: verifier)
            check(
                "checkpoint",
                checkpoint.origin == audit.origin && checkpoint.size == audit.treeSize
                    ? nil : "the checkpoint is for another log or tree size")
            guard let entry = Data(base64Encoded: audit.entry).map(Array.init), let leaf = Hex.decode(audit.leafHash)
            else {
                check("inclusion", "the entry or leaf hash is not encoded as base64 and hex")
                return Verification(request: receipt.request, checks: checks)
            }
            let proof = audit.proof.compactMap(Hex.decode)
            check("leaf hash", (try? MerkleTree.leafHash(entry)) == leaf ? nil : "the leaf hash is not the entry's")
            check(
                "inclusion",
                proof.count == audit.proof.count && audit.sequence >= 1
                    && MerkleTree.verifyInclusion(
                        leafHash: leaf, index: audit.sequence - 1, treeSize: audit.treeSize, proof: proof,
                        root: checkpoint.rootHash)
                    ? nil : "the inclusion proof does not lead to the checkpoint's root")
            let decoded = try AuditEncoding.decode(entry)
            check(
                "completion entry",
                decoded.sequence == audit.sequence && decoded.action == .erase && decoded.subject == receipt.subject
                    && decoded.detail == completionDetail(request: receipt.request, state: receipt.state)
                    ? nil : "the audit entry does not record this request's completion for this subject")
        } catch let failure as Checkpoint.Failure {
            check("checkpoint", failure.description)
        } catch {
            check("completion entry", "the audit entry does not decode")
        }
        return Verification(request: receipt.request, checks: checks)
    }

    /// What the completion's audit entry says (MemVault's words and the request id only).
    static func completionDetail(request: String, state: String) -> String {
        "erasure \(request) \(state)"
    }
}
