import Foundation
import GRDB
import MemVaultAudit
import Testing

@testable import MemVault

@Suite("Vector and hybrid search")
struct VectorSearchTests {
    static func random(_ dimension: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<dimension).map { _ in Float(Int(generator.next() % 2_001) - 1_000) / 1_000 }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms = (a.reduce(0.0) { $0 + Double($1 * $1) } * b.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
        return dot / norms
    }

    struct World {
        let fixture: StoreFixture
        let acme: TenantStore
        let alice: SubjectID
        let cube: CubeID
    }

    static func world(dimension: Int = 24) async throws -> World {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice").id
        let cube = try await acme.createCube(
            NewCube(owner: .subject(alice), name: "v", defaultCategory: "conversation", embeddingDimension: dimension))
        return World(fixture: fixture, acme: acme, alice: alice, cube: cube.id)
    }

    @Test("exact cosine: the same top 10 and scores as brute force over 600 embeddings, before and after more adds")
    func exactCosine() async throws {
        let world = try await Self.world()
        var generator = SeededGenerator(seed: 11)
        var stored: [(MemoryID, [Float])] = []
        func add(_ count: Int) async throws {
            let vectors = (0..<count).map { _ in Self.random(24, &generator) }
            let added = try await world.acme.addMemories(
                vectors.enumerated().map { NewMemory(content: .text("memory \($0.offset)"), embedding: $0.element) },
                to: world.cube)
            stored += zip(added.map(\.id), vectors).map { ($0, $1) }
        }
        try await add(500)
        for round in 0..<2 {
            for _ in 0..<10 {
                let query = Self.random(24, &generator)
                let expected = stored.map { ($0.0, Self.cosine($0.1, query)) }.sorted { $0.1 > $1.1 }.prefix(10)
                let results = try await world.acme.search(
                    SearchQuery("", in: .subject(world.alice), vector: query))
                #expect(results.hits.map(\.memory.id) == expected.map(\.0), "round \(round)")
                for (hit, want) in zip(results.hits, expected) {
                    #expect(abs(hit.score - want.1) < 1e-5)
                    #expect(hit.matched == [.vector] && hit.vectorScore == hit.score)
                }
            }
            // New embeddings (another generation) are seen by the next search: the cache notices.
            try await add(100)
        }
    }

    @Test("a set large enough to be scanned in stripes ranks exactly as brute force, ties to the lower index")
    func stripedScan() throws {
        var generator = SeededGenerator(seed: 5)
        let ids = try MemoryID.make(count: VectorSet.parallelThreshold + 3_000, at: Date())
        var vectors = ids.map { ($0, Self.random(40, &generator)) }
        // Two equal vectors in different stripes: the first must win the tie.
        vectors[ids.count - 1].1 = vectors[10].1
        let set = VectorSet(generation: 1, dimension: 40, vectors: vectors)
        for round in 0..<5 {
            let query = round == 0 ? vectors[10].1 : Self.random(40, &generator)
            let expected = vectors.enumerated().map { ($0.offset, Self.cosine($0.element.1, query)) }
                .sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(25)
            let found = set.nearest(query, limit: 25)
            if round == 0 {
                #expect(found.prefix(2).map(\.memory) == [ids[10], ids[ids.count - 1]])
            } else {
                #expect(found.map(\.memory) == expected.map { ids[$0.0] })
            }
            for (hit, want) in zip(found, expected) where round > 0 { #expect(abs(hit.score - want.1) < 1e-5) }
        }
    }

    @Test("dimensions are fixed per cube and checked: on add, on update, on the query")
    func dimensions() async throws {
        let world = try await Self.world(dimension: 4)
        let plain = try await world.acme.createCube(NewCube(owner: .subject(world.alice), name: "plain"))
        for (memory, cube, message) in [
            (NewMemory(content: .text("a"), embedding: [1, 2, 3]), world.cube, "has 3 dimensions"),
            (NewMemory(content: .text("a"), embedding: [1, 2, 3, .nan]), world.cube, "not a finite number"),
            (NewMemory(content: .text("a"), embedding: [0, 0, 0, 0]), world.cube, "all zeros"),
            (NewMemory(content: .text("a"), embedding: [1, 2, 3, 4]), plain.id, "without an embedding dimension"),
        ] {
            let error = await #expect(throws: MemVaultError.self) {
                _ = try await world.acme.addMemory(memory, to: cube)
            }
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        }
        let error = await #expect(throws: MemVaultError.self) {
            _ = try await world.acme.search(SearchQuery("", in: .cubes([world.cube]), vector: [1, 2]))
        }
        #expect(error?.message.contains("has 2 dimensions") == true)
        await #expect(throws: MemVaultError.self) {
            _ = try await world.acme.createCube(NewCube(owner: .tenant, name: "x", embeddingDimension: 0))
        }
        #expect(try await world.acme.cube(world.cube).embeddingDimension == 4)
    }

    @Test("an update carries the embedding over, replaces it, or drops it when only the content changes")
    func updates() async throws {
        let world = try await Self.world(dimension: 3)
        let memory = try await world.acme.addMemory(
            NewMemory(content: .text("tea"), embedding: [1, 0, 0]), to: world.cube)
        func nearest(_ vector: [Float]) async throws -> [MemoryID] {
            try await world.acme.search(SearchQuery("", in: .cubes([world.cube]), vector: vector)).hits.map(\.memory.id)
        }
        _ = try await world.acme.updateMemory(memory.id, MemoryChanges(tags: ["drinks"]))
        #expect(try await nearest([1, 0, 0]) == [memory.id], "carried over to version 2, sealed for it")
        _ = try await world.acme.updateMemory(memory.id, MemoryChanges(embedding: [0, 1, 0]))
        let hit = try #require(
            try await world.acme.search(
                SearchQuery("", in: .cubes([world.cube]), vector: [0, 1, 0])
            ).hits.first)
        #expect(abs(hit.score - 1) < 1e-6)
        _ = try await world.acme.updateMemory(memory.id, MemoryChanges(content: .text("coffee")))
        #expect(try await nearest([0, 1, 0]) == [], "new words, no embedding")
        try await world.acme.deleteMemory(memory.id)
        #expect(try world.fixture.rowCount("memory_vectors") == 0)
    }

    @Test("embeddings are sealed: their bytes are in no file, and one moved to another memory fails to open")
    func sealed() async throws {
        let world = try await Self.world(dimension: 8)
        // Distinctive values whose little-endian bytes would be easy to find.
        let marker: [Float] = [1.2345678, -7.654321, 3.1415927, 2.7182817, -1.4142135, 1.7320508, 0.5772157, 4.6692016]
        let first = try await world.acme.addMemory(NewMemory(content: .text("a"), embedding: marker), to: world.cube)
        let second = try await world.acme.addMemory(
            NewMemory(content: .text("b"), embedding: marker.map { -$0 }), to: world.cube)
        let bytes = Data(VectorCodec.encode(marker))
        for file in try FileManager.default.subpathsOfDirectory(atPath: world.fixture.dataPath) {
            let contents = (try? Data(contentsOf: URL(filePath: world.fixture.dataPath + "/" + file))) ?? Data()
            #expect(contents.range(of: bytes.prefix(8)) == nil, "\(file)")
        }
        try world.fixture.tamper { db in
            let vector = try Data.fetchOne(
                db, sql: "SELECT vector FROM memory_vectors WHERE memory_id = ?", arguments: [first.id.rawValue])
            try db.execute(
                sql: "UPDATE memory_vectors SET vector = ? WHERE memory_id = ?",
                arguments: [vector, second.id.rawValue])
        }
        let reopened = try await world.fixture.reopened().tenant(TenantID("acme"))
        let error = await #expect(throws: MemVaultError.self) {
            _ = try await reopened.search(SearchQuery("", in: .cubes([world.cube]), vector: marker))
        }
        #expect(error?.code == .integrity)
    }

    @Test("hybrid: both rankings fused (min-max linear or reciprocal rank), filters and policy as for words")
    func hybrid() async throws {
        let world = try await Self.world(dimension: 2)
        let acme = world.acme
        // "tea" matches a (more often) and b by words; the query vector is nearest c, then b, then a. Min-max puts
        // each ranking's last candidate at 0: with equal weights a = 0.5, c = 0.5, b = 0.5 × 0.98.
        let a = try await acme.addMemory(NewMemory(content: .text("tea tea tea"), embedding: [0, 1]), to: world.cube)
        let b = try await acme.addMemory(
            NewMemory(content: .text("tea and cake"), embedding: [1, 0.2]), to: world.cube)
        let c = try await acme.addMemory(NewMemory(content: .text("coffee"), embedding: [1, 0]), to: world.cube)
        let scope = SearchQuery.Scope.cubes([world.cube])
        let linear = try await acme.search(SearchQuery("tea", in: scope, vector: [1, 0]))
        #expect(linear.hits.map(\.memory.id) == [a.id, c.id, b.id])
        #expect(linear.hits.first?.matched == [.lexical, .vector])
        #expect(linear.hits[1].matched == [.vector])
        let vectorHeavy = try await acme.search(
            SearchQuery("tea", in: scope, vector: [1, 0], fusion: .linear(vectorWeight: 0.9)))
        #expect(vectorHeavy.hits.map(\.memory.id) == [c.id, b.id, a.id])
        let wordHeavy = try await acme.search(
            SearchQuery("tea", in: scope, vector: [1, 0], fusion: .linear(vectorWeight: 0.1)))
        #expect(wordHeavy.hits.map(\.memory.id) == [a.id, c.id, b.id], "a 0.9, c 0.1, b 0.098")
        let reciprocal = try await acme.search(SearchQuery("tea", in: scope, vector: [1, 0], fusion: .reciprocalRank))
        // a: 1/61 + 1/63, b: 2/62, c: 1/61.
        #expect(reciprocal.hits.map(\.memory.id) == [a.id, b.id, c.id])
        let filtered = try await acme.search(
            SearchQuery("tea", in: scope, filter: SearchFilter(types: [.episodic]), vector: [1, 0]))
        #expect(filtered.hits.isEmpty)
        let entries = try await world.fixture.tenant(as: .auditor).auditLog(AuditFilter(action: .search))
        #expect(entries.map(\.detail) == ["hybrid", "hybrid", "hybrid", "hybrid", "hybrid"])
    }

    @Test("fusion arithmetic: min-max normalisation, weights, reciprocal ranks, ties in first-seen order")
    func fusion() throws {
        let ids = try (0..<4).map { _ in try MemoryID.make() }
        let lexical = [(ids[0], 10.0), (ids[1], 5.0), (ids[2], 0.0)].map { (memory: $0.0, score: $0.1) }
        let vector = [(ids[2], 0.9), (ids[3], 0.5), (ids[0], 0.1)].map { (memory: $0.0, score: $0.1) }
        let linear = SearchFusion.fuse(lexical: lexical, vector: vector, .linear(vectorWeight: 0.5))
        let expected: [MemoryID: Double] = [ids[0]: 0.5, ids[1]: 0.25, ids[2]: 0.5, ids[3]: 0.25]
        for candidate in linear { #expect(abs(candidate.score - expected[candidate.memory]!) < 1e-12) }
        #expect(linear.map(\.memory) == [ids[0], ids[2], ids[1], ids[3]], "ties keep the order first seen")
        let rrf = SearchFusion.fuse(lexical: lexical, vector: vector, .reciprocalRank)
        #expect(abs(rrf[0].score - (1 / 61.0 + 1 / 63.0)) < 1e-12)
        #expect(rrf.map(\.memory) == [ids[0], ids[2], ids[1], ids[3]])
        let alone = SearchFusion.fuse(lexical: lexical, vector: [], .reciprocalRank)
        #expect(alone.map(\.score) == [10, 5, 0], "one ranking alone keeps its scores")
    }
}
