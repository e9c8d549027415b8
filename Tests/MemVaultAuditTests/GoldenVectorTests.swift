import Foundation
import MemVaultAudit
import MemVaultCrypto
import Testing

/// Audit/vectors/golden-log.json: a small log with its hashes, roots, proofs and a signed checkpoint, so that another
/// implementation (such as Audit/verify_audit.py) can check itself. The test recomputes everything and compares;
/// MEMVAULT_WRITE_GOLDEN=1 rewrites the file after a deliberate format change.
@Suite("Audit golden vectors")
struct GoldenVectorTests {
    static let file = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Audit/vectors/golden-log.json")

    struct Vectors: Codable, Equatable {
        struct Entry: Codable, Equatable {
            let entry: AuditEntry
            let encoded: String
            let hash: String
            let leafHash: String
        }

        struct Inclusion: Codable, Equatable {
            let index: Int
            let treeSize: Int
            let proof: [String]
        }

        struct Consistency: Codable, Equatable {
            let oldSize: Int
            let newSize: Int
            let proof: [String]
        }

        let description: String
        let origin: String
        let verifierKey: String
        let entries: [Entry]
        let roots: [String]
        let inclusion: [Inclusion]
        let consistency: [Consistency]
        let checkpoint: String
    }

    static func compute() throws -> Vectors {
        let origin = "memvault.example/acme"
        let key = try Ed25519.PrivateKey(
            seed: SymmetricKey(copying: try SHA256.hash(Array("MemVault golden vector key".utf8))))
        let verifier = try CheckpointVerifier(keyName: origin, publicKey: key.publicKey)
        var log = try AuditLogSnapshot(origin: origin)
        let actions: [AuditAction] = ["write", "read", "update", "read", "consent", "delete", "policy"]
        for (offset, action) in actions.enumerated() {
            let sequence = UInt64(offset + 1)
            try log.append(
                AuditEntry(
                    sequence: sequence, time: 1_795_000_000_000 + Int64(offset) * 60_000,
                    actor: offset == 6 ? "dpo-1" : "assistant-app",
                    role: offset == 6 ? "data-protection-officer" : "application",
                    action: action, purpose: offset == 6 ? "data-subject-rights" : "personalisation",
                    subject: "apn_3f1c8a0d5b7e9a2c4d6f8a0b1c2d3e4f", cube: "cube_01M7Z09XPGWVDHFHX463NR2G75",
                    memories: action == "consent" || action == "policy" ? [] : ["mem_01M7Z09XWA2A1WS7RMS1TWVTJT"],
                    effect: action == "policy" ? "deny" : "permit",
                    ruleIDs: action == "policy" ? ["memvault:legal-hold"] : ["application-processing"],
                    policyRevision: "7d96f004d4b1b8ec0000000000000000000000000000000000000000000000ff",
                    returned: action == "read" ? 1 : 0, withheld: 0,
                    detail: action == "consent" ? "personalisation: given" : nil))
        }
        let leaves = log.leafHashes
        return Vectors(
            description: "MemVault audit log golden vectors; see Audit/SPEC.md",
            origin: origin, verifierKey: verifier.verifierKey,
            entries: zip(log.entries, leaves).map { stored, leaf in
                Vectors.Entry(
                    entry: try! AuditEncoding.decode(stored.encoded), encoded: Hex.encode(stored.encoded),
                    hash: Hex.encode(stored.hash), leafHash: Hex.encode(leaf))
            },
            roots: try (1...leaves.count).map { Hex.encode(try MerkleTree.root(Array(leaves.prefix($0)))) },
            inclusion: try [(0, 7), (2, 7), (6, 7), (4, 5)].map { index, size in
                Vectors.Inclusion(
                    index: index, treeSize: size,
                    proof: try MerkleTree.inclusionProof(index: index, Array(leaves.prefix(size))).map(Hex.encode))
            },
            consistency: try [(1, 7), (3, 7), (4, 7), (6, 7)].map { old, new in
                Vectors.Consistency(
                    oldSize: old, newSize: new,
                    proof: try MerkleTree.consistencyProof(oldSize: old, Array(leaves.prefix(new))).map(Hex.encode))
            },
            checkpoint: try log.checkpoint().signed(by: key, keyName: origin))
    }

    @Test("the golden log in Audit/vectors is exactly what this implementation computes")
    func golden() throws {
        let computed = try Self.compute()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if ProcessInfo.processInfo.environment["MEMVAULT_WRITE_GOLDEN"] == "1" {
            try encoder.encode(computed).write(to: Self.file)
        }
        let stored = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: Self.file))
        #expect(stored == computed)
        // And the stored vectors verify by themselves.
        let verifier = try CheckpointVerifier(verifierKey: stored.verifierKey)
        let checkpoint = try Checkpoint.open(stored.checkpoint, verifier: verifier)
        #expect(checkpoint.size == 7 && Hex.encode(checkpoint.rootHash) == stored.roots.last)
        let chain = stored.entries.enumerated().map { offset, entry in
            AuditChain.StoredEntry(
                sequence: UInt64(offset + 1), encoded: Hex.decode(entry.encoded)!, hash: Hex.decode(entry.hash)!)
        }
        #expect(try AuditChain.verify(chain, origin: stored.origin) == nil)
    }
}
