import Foundation
import MemVaultAudit
import MemVaultCrypto
import Testing

@Suite("Audit log: encoding, chain, checkpoints")
struct AuditLogTests {
    static func entry(_ sequence: UInt64) -> AuditEntry {
        AuditEntry(
            sequence: sequence, time: 1_795_000_000_000 + Int64(sequence) * 1000, actor: "app-1", role: "application",
            action: sequence % 3 == 0 ? "read" : "write", purpose: "personalisation", subject: "apn_\(sequence % 2)",
            cube: "cube_01M7Z09XPGWVDHFHX463NR2G75", memories: ["mem_01M7Z09XWA2A1WS7RMS1TWVTJT"],
            effect: "permit", ruleIDs: ["application-processing"], policyRevision: String(repeating: "ab", count: 32),
            returned: sequence % 3 == 0 ? 1 : 0)
    }

    static let origin = "memvault.test/acme"

    static func log(_ count: UInt64) throws -> AuditLogSnapshot {
        var log = try AuditLogSnapshot(origin: origin)
        for sequence in 1...count { try log.append(entry(sequence)) }
        return log
    }

    @Test("the canonical encoding round-trips and refuses anything malformed")
    func encoding() throws {
        let entry = AuditEntry(
            sequence: 7, time: -5, actor: "a", role: "auditor", action: "policy", purpose: "p", effect: "deny",
            ruleIDs: ["memvault:consent", "x"], detail: "é")
        let encoded = AuditEncoding.encode(entry)
        #expect(try AuditEncoding.decode(encoded) == entry)
        #expect(Array(encoded.prefix(4)) == Array("MVA1".utf8))
        #expect(throws: AuditEncoding.Malformed.self) { try AuditEncoding.decode(encoded + [0]) }
        #expect(throws: AuditEncoding.Malformed.self) { try AuditEncoding.decode(Array(encoded.dropLast())) }
        #expect(throws: AuditEncoding.Malformed.self) { try AuditEncoding.decode([0x4D, 0x56, 0x41, 0x32]) }
    }

    @Test("an intact log verifies")
    func intact() throws {
        #expect(try AuditChain.verify(Self.log(20).entries, origin: Self.origin) == nil)
    }

    @Test("a changed field, a deleted, swapped or inserted entry are each detected at the first bad sequence")
    func tampering() throws {
        let entries = try Self.log(20).entries
        // A changed field: entry 7's actor, with its stored hash left as it was.
        var changed = entries
        var seventh = try AuditEncoding.decode(changed[6].encoded)
        seventh.actor = "someone-else"
        changed[6] = .init(sequence: 7, encoded: AuditEncoding.encode(seventh), hash: changed[6].hash)
        #expect(try AuditChain.verify(changed, origin: Self.origin)?.sequence == 7)
        // A deleted entry in the middle.
        var deleted = entries
        deleted.remove(at: 9)
        let missing = try #require(try AuditChain.verify(deleted, origin: Self.origin))
        #expect(missing.sequence == 10 && missing.reason == "missing: the next stored entry is 11")
        // A swapped pair.
        var swapped = entries
        swapped.swapAt(4, 5)
        #expect(try AuditChain.verify(swapped, origin: Self.origin)?.sequence == 5)
        // An inserted entry (renumbered to look seamless, hashes recomputed only for itself).
        var inserted = entries
        var forged = Self.entry(12)
        forged.action = "erase"
        let forgedEncoded = AuditEncoding.encode(forged)
        inserted.insert(
            .init(
                sequence: 12, encoded: forgedEncoded,
                hash: try AuditChain.hash(previous: entries[10].hash, encoded: forgedEncoded)),
            at: 11)
        #expect(try AuditChain.verify(inserted, origin: Self.origin)?.sequence == 13)
        // A stored sequence that disagrees with the encoded one.
        var relabelled = entries
        relabelled[2] = .init(sequence: 3, encoded: entries[3].encoded, hash: entries[2].hash)
        #expect(try AuditChain.verify(relabelled, origin: Self.origin)?.sequence == 3)
    }

    @Test("a truncated or rewritten tail verifies as a chain, but not against a checkpoint held elsewhere")
    func checkpointsCatchTails() throws {
        let key = try Ed25519.PrivateKey()
        let verifier = try CheckpointVerifier(keyName: "memvault.test/acme", publicKey: key.publicKey)
        let log = try Self.log(30)
        let held = try Checkpoint.open(
            log.checkpoint().signed(by: key, keyName: verifier.keyName), verifier: verifier)

        // Truncated: 25 entries still chain, but cannot be consistent with a checkpoint of 30.
        var truncated = try AuditLogSnapshot(origin: Self.origin)
        for sequence: UInt64 in 1...25 { try truncated.append(Self.entry(sequence)) }
        #expect(try AuditChain.verify(truncated.entries, origin: Self.origin) == nil)
        #expect(truncated.size < held.size)

        // Rewritten from entry 20 with recomputed hashes: the chain verifies, the consistency proof does not.
        var rewritten = try AuditLogSnapshot(origin: Self.origin)
        for sequence: UInt64 in 1...35 {
            var entry = Self.entry(sequence)
            if sequence >= 20 { entry.action = "erase" }
            try rewritten.append(entry)
        }
        #expect(try AuditChain.verify(rewritten.entries, origin: Self.origin) == nil)
        #expect(
            !MerkleTree.verifyConsistency(
                oldSize: held.size, newSize: rewritten.size, oldRoot: held.rootHash, newRoot: try rewritten.root(),
                proof: try MerkleTree.consistencyProof(oldSize: Int(held.size), rewritten.leafHashes)))

        // An honest extension is consistent.
        var extended = log
        for sequence: UInt64 in 31...40 { try extended.append(Self.entry(sequence)) }
        #expect(
            MerkleTree.verifyConsistency(
                oldSize: held.size, newSize: extended.size, oldRoot: held.rootHash, newRoot: try extended.root(),
                proof: try MerkleTree.consistencyProof(oldSize: Int(held.size), extended.leafHashes)))
    }

    @Test("checkpoints sign and open; a bad signature, another key or an altered body is refused")
    func signedCheckpoints() throws {
        let key = try Ed25519.PrivateKey()
        let verifier = try CheckpointVerifier(keyName: "memvault.test/acme", publicKey: key.publicKey)
        let checkpoint = try Self.log(5).checkpoint()
        let note = try checkpoint.signed(by: key, keyName: verifier.keyName)
        #expect(note.hasPrefix("memvault.test/acme\n5\n") && note.contains("\n\n— memvault.test/acme "))
        #expect(try Checkpoint.open(note, verifier: verifier) == checkpoint)
        #expect(try CheckpointVerifier(verifierKey: verifier.verifierKey) == verifier)

        let altered = note.replacingOccurrences(of: "\n5\n", with: "\n6\n")
        #expect(throws: Checkpoint.Failure.badSignature("memvault.test/acme")) {
            try Checkpoint.open(altered, verifier: verifier)
        }
        var signature = Array(note.utf8)
        signature[signature.count - 10] =
            signature[signature.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: Checkpoint.Failure.self) {
            try Checkpoint.open(String(decoding: signature, as: UTF8.self), verifier: verifier)
        }
        let stranger = try CheckpointVerifier(keyName: "memvault.test/acme", publicKey: Ed25519.PrivateKey().publicKey)
        #expect(throws: Checkpoint.Failure.noSignatureByKey("memvault.test/acme")) {
            try Checkpoint.open(note, verifier: stranger)
        }
    }
}
