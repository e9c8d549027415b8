import Foundation
import GRDB
import MemVault
import MemVaultTestSupport
import Testing

/// What a deletion leaves in the files: the exact bytes of a deleted memory's ciphertext, embedding and blind terms,
/// looked for in every file of the data folder (databases, write-ahead logs, shared memory) while the store is open.
@Suite("Deletion leaves no residue")
struct ResidueTests {
    /// A deleted memory's stored artefacts, read raw from the database before it is deleted.
    struct Artefacts {
        var payload: [UInt8] = []
        var vector: [UInt8] = []
        var terms: [String] = []

        /// Byte strings that must not survive: a 48-byte run from the middle of each blob (long enough to be
        /// unique, short enough to sit within one page), and each blind term without its first characters (FTS5
        /// stores a term after the prefix it shares with the term before it).
        var needles: [(String, [UInt8])] {
            [
                ("payload", Array(payload[(payload.count / 2 - 24)..<(payload.count / 2 + 24)])),
                ("vector", Array(vector[(vector.count / 2 - 24)..<(vector.count / 2 + 24)])),
            ]
                + terms.map { ("term \($0)", Array($0.utf8.dropFirst(4))) }
        }
    }

    static func artefacts(of memory: MemoryID, in fixture: StoreFixture) throws -> Artefacts {
        var artefacts = Artefacts()
        try fixture.tamper { db in
            artefacts.payload = try Array(
                Data.fetchOne(db, sql: "SELECT payload FROM memories WHERE memory_id = ?", arguments: [memory.rawValue])
                    ?? Data())
            artefacts.vector = try Array(
                Data.fetchOne(
                    db, sql: "SELECT vector FROM memory_vectors WHERE memory_id = ?", arguments: [memory.rawValue])
                    ?? Data())
            artefacts.terms = try
                (String.fetchOne(
                    db, sql: "SELECT terms FROM search_documents WHERE memory_id = ?", arguments: [memory.rawValue])
                ?? "")
                .split(separator: " ").map(String.init)
        }
        return artefacts
    }

    static func residue(_ artefacts: Artefacts, in fixture: StoreFixture) throws -> [String] {
        let files = try filesUnder(fixture.dataPath)
        var found: [String] = []
        for (name, bytes) in files {
            for (what, needle) in artefacts.needles where bytes.contains(subsequence: needle) {
                found.append("\(what) in \(name)")
            }
        }
        return found.sorted()
    }

    @Test("a deleted memory's ciphertext, embedding and blind terms are in no file once the delete returns")
    func memoryDelete() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice").id
        let cube = try await acme.createCube(
            NewCube(owner: .subject(alice), name: "c", defaultCategory: "conversation", embeddingDimension: 16))
        func vector() -> [Float] { (0..<16).map { _ in Float.random(in: -1...1) } }
        _ = try await acme.addMemories(
            (0..<300).map { NewMemory(content: .text("ordinary note \($0) about tea"), embedding: vector()) },
            to: cube.id)
        let victim = try await acme.addMemory(
            NewMemory(content: .text("zebrafinch quokkaplatypus narwhalmonsoon"), embedding: vector()), to: cube.id)
        _ = try await acme.addMemories(
            (0..<300).map { NewMemory(content: .text("later note \($0) about coffee"), embedding: vector()) },
            to: cube.id)
        // Searching moves pending index entries into FTS5's segments, where deletions leave tombstones.
        #expect(try await acme.search(SearchQuery("zebrafinch", in: .subject(alice))).hits.count == 1)
        let artefacts = try Self.artefacts(of: victim.id, in: fixture)
        #expect(artefacts.payload.count > 100 && artefacts.vector.count > 64 && artefacts.terms.count == 3)
        #expect(try Self.residue(artefacts, in: fixture) != [], "the probe finds the artefacts before deletion")

        try await acme.deleteMemory(victim.id)
        let left = try Self.residue(artefacts, in: fixture)
        #expect(left == [], "\(left)")
        #expect(try await acme.search(SearchQuery("ordinary tea", in: .subject(alice))).hits.count == 10)
    }
}
