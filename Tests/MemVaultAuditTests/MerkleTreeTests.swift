import Foundation
import MemVaultAudit
import MemVaultCrypto
import Testing

@Suite("RFC 6962 Merkle tree")
struct MerkleTreeTests {
    private struct InclusionCase: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String?
        let leafHash: String?
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    private struct ConsistencyCase: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String?
        let root2: String?
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    private static func fixtures(_ kind: String) throws -> [URL] {
        let base = try #require(Bundle.module.resourceURL).appending(path: "Fixtures/merkle/testdata/\(kind)")
        let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "json" }.sorted {
            $0.path < $1.path
        }
    }

    private static func bytes(_ base64: String?) -> [UInt8] {
        base64.flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
    }

    @Test("all 196 RFC 6962 inclusion and consistency fixtures give the expected verdict")
    func fixtures() throws {
        var passed = 0
        var failures: [String] = []
        let inclusion = try Self.fixtures("inclusion")
        for url in inclusion {
            let test = try JSONDecoder().decode(InclusionCase.self, from: Data(contentsOf: url))
            let valid = MerkleTree.verifyInclusion(
                leafHash: Self.bytes(test.leafHash), index: test.leafIdx, treeSize: test.treeSize,
                proof: (test.proof ?? []).map(Self.bytes), root: Self.bytes(test.root))
            if valid != !test.wantErr {
                failures.append("\(url.lastPathComponent) (\(test.desc))")
            } else {
                passed += 1
            }
        }
        let consistency = try Self.fixtures("consistency")
        for url in consistency {
            let test = try JSONDecoder().decode(ConsistencyCase.self, from: Data(contentsOf: url))
            let valid = MerkleTree.verifyConsistency(
                oldSize: test.size1, newSize: test.size2, oldRoot: Self.bytes(test.root1),
                newRoot: Self.bytes(test.root2), proof: (test.proof ?? []).map(Self.bytes))
            if valid != !test.wantErr { failures.append("\(url.path) (\(test.desc))") } else { passed += 1 }
        }
        let total = inclusion.count + consistency.count
        print(
            "RFC 6962 Merkle fixtures: \(passed)/\(total) (inclusion \(inclusion.count), consistency \(consistency.count))"
        )
        #expect(failures.isEmpty, "\(failures)")
        #expect(total == 196 && passed == 196)
    }

    @Test("proofs we generate verify for every leaf and every prefix, and fail when anything changes")
    func generatedProofs() throws {
        for size in 1...40 {
            let leaves = try (0..<size).map { try MerkleTree.leafHash(Array("entry \($0)".utf8)) }
            let root = try MerkleTree.root(leaves)
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(index: index, leaves)
                #expect(
                    MerkleTree.verifyInclusion(
                        leafHash: leaves[index], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root)
                )
                #expect(
                    !MerkleTree.verifyInclusion(
                        leafHash: leaves[(index + 1) % size], index: UInt64(index), treeSize: UInt64(size),
                        proof: proof,
                        root: root) || size == 1)
            }
            for oldSize in 1...size {
                let oldRoot = try MerkleTree.root(Array(leaves.prefix(oldSize)))
                let proof = try MerkleTree.consistencyProof(oldSize: oldSize, leaves)
                #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: UInt64(oldSize), newSize: UInt64(size), oldRoot: oldRoot, newRoot: root, proof: proof))
                if oldSize < size {
                    var tampered = leaves
                    tampered[oldSize - 1] = try MerkleTree.leafHash(Array("rewritten".utf8))
                    #expect(
                        !MerkleTree.verifyConsistency(
                            oldSize: UInt64(oldSize), newSize: UInt64(size), oldRoot: oldRoot,
                            newRoot: try MerkleTree.root(tampered),
                            proof: try MerkleTree.consistencyProof(oldSize: oldSize, tampered)))
                }
            }
        }
    }

    @Test("the empty tree's root is SHA-256 of nothing (RFC 6962 §2.1)")
    func emptyTree() throws {
        #expect(
            MemVaultCrypto.Hex.encode(try MerkleTree.root([[UInt8]]()))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
