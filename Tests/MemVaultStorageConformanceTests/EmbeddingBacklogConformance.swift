import Foundation
import MemVault
import Testing

@Suite("Storage conformance: embedding backlog")
struct EmbeddingBacklogConformance {
    func vector(_ memory: MemoryRecord) -> VectorRecord {
        VectorRecord(
            memory: memory.id, cube: memory.cube, version: memory.version, keyVersion: 1, sealed: Records.bytes())
    }

    @Test(
        "memories without an embedding are counted in constant time and listed in id order, whatever changes them",
        arguments: BackendUnderTest.all)
    func backlog(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let storage = try await harness.tenant("acme")
        let cube = try Records.cube()
        let other = try Records.cube()
        let memories = try (0..<5).map { _ in try Records.memory(in: cube) }
        let elsewhere = try Records.memory(in: other)
        try await storage.unitOfWork { transaction in
            try transaction.insertCube(cube)
            try transaction.insertCube(other)
            try transaction.insertMemories(memories + [elsewhere])
            try transaction.countAwaitingEmbedding(memories.count, in: cube.id)
            try transaction.countAwaitingEmbedding(1, in: other.id)
        }
        func awaiting() async throws -> (count: Int, ids: [MemoryID]) {
            try await storage.read { reader in
                (
                    try reader.awaitingEmbedding(in: cube.id),
                    try reader.memoriesAwaitingEmbedding(in: cube.id, after: nil, limit: 100).map(\.id)
                )
            }
        }
        #expect(try await awaiting().count == 5)
        #expect(try await awaiting().ids == memories.map(\.id).sorted())

        // Embedding two (one twice: stored again, not counted twice) leaves three.
        try await storage.unitOfWork { transaction in
            try transaction.storeVectors([vector(memories[0]), vector(memories[3])])
            try transaction.storeVectors([vector(memories[3])])
        }
        #expect(try await awaiting().count == 3)
        #expect(try await awaiting().ids == [memories[1], memories[2], memories[4]].map(\.id).sorted())
        let paged = try await storage.read {
            try $0.memoriesAwaitingEmbedding(in: cube.id, after: memories.map(\.id).sorted()[1], limit: 1)
        }
        #expect(paged.count == 1)
        #expect(paged.first.map { $0.id > memories.map(\.id).sorted()[1] } == true)

        // A new current version has no embedding until it gets one; deleting a memory takes it out of both counts.
        let next = Records.nextVersion(of: memories[0])
        let (replaced, deleted) = try await storage.unitOfWork { transaction in
            let replaced = try transaction.replaceCurrent(with: next, superseded: memories[0])
            try transaction.countAwaitingEmbedding(1, in: cube.id)
            return (replaced, try transaction.deleteMemory(memories[3].id))
        }
        #expect(replaced && deleted)
        #expect(try await awaiting().count == 4)
        #expect(try await awaiting().ids.contains(memories[0].id))

        // Removing the cube's embeddings puts every memory back; other cubes are untouched.
        try await storage.unitOfWork { transaction in
            try transaction.storeVectors([vector(next), vector(memories[1]), vector(elsewhere)])
        }
        #expect(try await awaiting().count == 2)
        let removed = try await storage.unitOfWork { try $0.removeVectors(in: cube.id) }
        #expect(removed == 2)
        #expect(try await awaiting().count == 4)
        #expect(try await storage.read { try $0.awaitingEmbedding(in: other.id) } == 0)
        try await harness.close()
    }
}
