import Foundation
import MemVault
import Testing

@Suite("Storage conformance: search index")
struct SearchIndexConformance {
    /// A blind-looking term (the backend never sees anything else).
    func term(_ word: String) -> String { String(word.utf8.map { String(format: "%02x", $0) }.joined().prefix(24)) }

    @Test(
        "indexing, ranking by BM25 with FTS5's definitions, filters, and removal with the memory",
        arguments: BackendUnderTest.all)
    func lifecycle(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        let other = try Records.cube()
        let memories =
            try (0..<3).map { _ in try Records.memory(in: cube) } + [Records.memory(in: cube, status: .archived)]
        let elsewhere = try Records.memory(in: other)
        let (tea, green, coffee) = (term("tea"), term("green"), term("coffee"))
        let documents = [
            IndexedDocument(memory: memories[0].id, terms: [tea, green, tea], labels: ["l1"]),
            IndexedDocument(memory: memories[1].id, terms: [tea, coffee, coffee, coffee, coffee], labels: []),
            IndexedDocument(memory: memories[2].id, terms: [coffee], labels: ["l1", "l2"]),
            IndexedDocument(memory: memories[3].id, terms: [tea], labels: []),
            IndexedDocument(memory: elsewhere.id, terms: [tea], labels: []),
        ]
        try await storage.unitOfWork { transaction in
            try transaction.insertCube(cube)
            try transaction.insertCube(other)
            try transaction.insertMemories(memories + [elsewhere])
            try transaction.indexAdded(documents)
        }
        func search(_ terms: [String], labels: [String] = [], filter: SearchFilter = SearchFilter(), limit: Int = 10)
            async throws -> [LexicalHit]
        {
            try await storage.unitOfWork {
                try $0.searchLexical(
                    LexicalQuery(terms: terms, cubes: [cube.id], labels: labels, filter: filter, limit: limit))
            }
        }
        // BM25 by hand, FTS5's way: N = 5 documents, 11 terms, average length 2.2 (tea is in 4: idf floored).
        func expected(tf: Double, length: Double, containing: Double) -> Double {
            let idf = max(log((5 - containing + 0.5) / (containing + 0.5)), 1e-6)
            return idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * length / 2.2))
        }
        let teaHits = try await search([tea])
        #expect(teaHits.map(\.memory) == [memories[0].id, memories[1].id], "active only, this cube only")
        #expect(abs(teaHits[0].score - expected(tf: 2, length: 3, containing: 4)) < 1e-9)
        #expect(abs(teaHits[1].score - expected(tf: 1, length: 5, containing: 4)) < 1e-9)
        let both = try await search([coffee, tea])
        #expect(both.map(\.memory) == [memories[1].id, memories[2].id, memories[0].id])
        let coffeeAndTea = expected(tf: 4, length: 5, containing: 2) + expected(tf: 1, length: 5, containing: 4)
        #expect(abs(both[0].score - coffeeAndTea) < 1e-9)
        #expect(try await search([tea, coffee], limit: 1).map(\.memory) == [memories[1].id])
        #expect(try await search([coffee, tea], labels: ["l1"]).map(\.memory) == [memories[2].id, memories[0].id])
        #expect(try await search([coffee, tea], labels: ["l1", "l2"]).map(\.memory) == [memories[2].id])
        #expect(try await search([tea], filter: SearchFilter(statuses: [.archived])).map(\.memory) == [memories[3].id])
        #expect(try await search([term("absent")]).isEmpty)
        #expect(try await storage.read { try $0.indexedDocument(memories[2].id) }?.labels == ["l1", "l2"])

        // Re-indexing replaces; deleting the memory or its cube removes the entry in the same unit of work.
        try await storage.unitOfWork { transaction in
            try transaction.index([IndexedDocument(memory: memories[0].id, terms: [green], labels: [])])
            _ = try transaction.deleteMemory(memories[1].id)
        }
        #expect(try await search([tea]).isEmpty)
        #expect(try await search([green]).map(\.memory) == [memories[0].id])
        #expect(try await storage.read { try $0.indexedDocument(memories[1].id) } == nil)
        try await storage.unitOfWork { _ = try $0.deleteCube(cube.id) }
        #expect(try await storage.read { try $0.indexedDocument(memories[2].id) } == nil)
        #expect(try await storage.read { try $0.indexedDocument(elsewhere.id) } != nil)
        try await harness.close()
    }

    @Test("an index change in a unit of work that throws is undone with it", arguments: BackendUnderTest.all)
    func atomic(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        let memory = try Records.memory(in: cube)
        try await storage.unitOfWork { transaction in
            try transaction.insertCube(cube)
            try transaction.insertMemories([memory])
            try transaction.index([IndexedDocument(memory: memory.id, terms: [term("kept")], labels: [])])
        }
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await storage.unitOfWork { transaction in
                try transaction.index([IndexedDocument(memory: memory.id, terms: [term("lost")], labels: [])])
                _ = try transaction.deleteMemory(memory.id)
                throw Abort()
            }
        }
        #expect(try await storage.read { try $0.indexedDocument(memory.id) }?.terms == [term("kept")])

        // A memory said to be just added that already has an entry is refused, never indexed twice.
        await #expect(throws: MemVaultError.self) {
            try await storage.unitOfWork { transaction in
                try transaction.indexAdded([IndexedDocument(memory: memory.id, terms: [term("twice")], labels: [])])
            }
        }
        #expect(try await storage.read { try $0.indexedDocument(memory.id) }?.terms == [term("kept")])
        try await harness.close()
    }

    @Test(
        "entries written in batches behind the scenes: every committed entry is searchable, removable either way",
        arguments: BackendUnderTest.all)
    func batchedEntries(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        try await storage.unitOfWork { try $0.insertCube(cube) }
        let shared = term("shared")
        var memories: [MemoryRecord] = []
        // Enough single-entry units of work for any reasonable batch to fill and be written out at least once.
        for round in 0..<1_300 {
            let memory = try Records.memory(in: cube)
            memories.append(memory)
            let unique = term("w\(round)")
            try await storage.unitOfWork { transaction in
                try transaction.insertMemories([memory])
                try transaction.index([
                    IndexedDocument(memory: memory.id, terms: [shared, unique], labels: round == 1_250 ? ["rare"] : [])
                ])
            }
        }
        // Remove the first and the last: one written out long ago, one surely not yet.
        let removed = [memories[0], memories[1_299]]
        try await storage.unitOfWork { transaction in
            for memory in removed { _ = try transaction.deleteMemory(memory.id) }
        }
        let all = try await storage.unitOfWork {
            try $0.searchLexical(
                LexicalQuery(terms: [shared], cubes: [cube.id], labels: [], filter: SearchFilter(), limit: 100))
        }
        #expect(all.count == 100)
        #expect(Set(all.map(\.memory)).isDisjoint(with: removed.map(\.id)))
        // A filter that only the 1,251st of 1,298 equal matches passes: the ranking is read deep, and filtered in
        // several statements.
        let rare = try await storage.unitOfWork {
            try $0.searchLexical(
                LexicalQuery(terms: [shared], cubes: [cube.id], labels: ["rare"], filter: SearchFilter(), limit: 10))
        }
        #expect(rare.map(\.memory) == [memories[1_250].id])
        for index in [1, 700, 1_298] {
            let found = try await storage.unitOfWork {
                try $0.searchLexical(
                    LexicalQuery(
                        terms: [term("w\(index)")], cubes: [cube.id], labels: [], filter: SearchFilter(), limit: 5))
            }
            #expect(found.map(\.memory) == [memories[index].id])
        }
        try await harness.close()
    }
}
