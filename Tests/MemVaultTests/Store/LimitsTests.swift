import Foundation
import MemVault
import MemVaultSQLite
import Testing

@Suite("Limits and input validation")
struct LimitsTests {
    private func expectError(
        _ code: MemVaultError.Code, _ fragment: String, _ operation: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let error = try await #require(throws: MemVaultError.self, sourceLocation: sourceLocation) {
            try await operation()
        }
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }

    @Test("content size, batch size, tags, attributes and page size limits are enforced with the limit named")
    func sizeLimits() async throws {
        var limits = StoreLimits()
        limits.maximumTextBytes = 100
        limits.maximumBinaryBytes = 200
        limits.maximumBatch = 5
        limits.maximumTags = 2
        let fixture = try await StoreFixture.make(limits: limits)
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c")).id

        _ = try await acme.addMemory(.text(String(repeating: "a", count: 100)), to: cube)
        try await expectError(.limitExceeded, "the limit is 100 bytes") {
            _ = try await acme.addMemory(.text(String(repeating: "a", count: 101)), to: cube)
        }
        try await expectError(.limitExceeded, "the limit is 200 bytes") {
            _ = try await acme.addMemory(
                NewMemory(content: .binary(bytes: [UInt8](repeating: 1, count: 201), mediaType: "application/x-kv")),
                to: cube)
        }
        try await expectError(.limitExceeded, "at most 5") {
            _ = try await acme.addMemories((0..<6).map { .text("\($0)") }, to: cube)
        }
        try await expectError(.limitExceeded, "at most 2 are allowed") {
            _ = try await acme.addMemory(.text("t", tags: ["a", "b", "c"]), to: cube)
        }
        try await expectError(.invalidArgument, "page size 0") {
            _ = try await acme.memories(in: .cube(cube), limit: 0)
        }
        try await expectError(.limitExceeded, "the limit is 100 bytes") {
            _ = try await acme.updateMemory(
                acme.memories(in: .cube(cube)).items[0].id,
                MemoryChanges(content: .text(String(repeating: "b", count: 101))))
        }
        // A rejected batch stores nothing.
        #expect(try await acme.memories(in: .cube(cube)).items.count == 1)
    }

    @Test("malformed input is refused before anything is stored")
    func malformedInput() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c")).id

        try await expectError(.invalidArgument, "not valid UTF-8") {
            _ = try MemoryContent.text(utf8: [0x66, 0xFF, 0xFE])
        }
        #expect(try MemoryContent.text(utf8: Array("ok é".utf8)) == .text("ok é"))
        try await expectError(.invalidArgument, "content is empty") {
            _ = try await acme.addMemory(.text(""), to: cube)
        }
        try await expectError(.invalidArgument, "invalid media type") {
            _ = try await acme.addMemory(NewMemory(content: .binary(bytes: [1], mediaType: "not a type")), to: cube)
        }
        try await expectError(.invalidArgument, "confidence") {
            _ = try await acme.addMemory(NewMemory(content: .text("x"), confidence: 1.5), to: cube)
        }
        try await expectError(.invalidArgument, "invalid category") {
            _ = try await acme.addMemory(.text("x", category: "Not A Token"), to: cube)
        }
        try await expectError(.invalidArgument, "validUntil is before validFrom") {
            _ = try await acme.addMemory(
                NewMemory(
                    content: .text("x"), validFrom: Date(timeIntervalSince1970: 10),
                    validUntil: Date(timeIntervalSince1970: 5)),
                to: cube)
        }
        try await expectError(.invalidArgument, "nothing to update") {
            _ = try await acme.updateMemory(try MemoryID.make(), MemoryChanges())
        }
        try await expectError(.invalidArgument, "no memories to add") { _ = try await acme.addMemories([], to: cube) }
        try await expectError(.invalidArgument, "the cube name is empty") {
            _ = try await acme.createCube(NewCube(owner: .tenant, name: ""))
        }
        try await expectError(.invalidArgument, "the external subject id is empty") {
            _ = try await acme.resolveSubject(externalID: "")
        }
        try await expectError(.limitExceeded, "the external subject id") {
            _ = try await acme.resolveSubject(externalID: String(repeating: "x", count: 257))
        }
        #expect(try await acme.memories(in: .cube(cube)).items.isEmpty)
    }

    @Test(
        "ids are checked for format, and unknown cubes and subjects are named",
        arguments: [
            "", "mem_", "mem_short", "cube_01ARZ3NDEKTSV4RRFFQ69G5FAV", "mem_81ARZ3NDEKTSV4RRFFQ69G5FAV",
            "mem_01arz3ndektsv4rrffq69g5fav", "mem_01ARZ3NDEKTSV4RRFFQ69G5FAV!", "MEM_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        ])
    func identifierFormats(candidate: String) async throws {
        try await expectError(.invalidArgument, "invalid memory id") { _ = try MemoryID(candidate) }
    }

    @Test("unknown cubes, subjects and cursors are clear errors")
    func unknownReferences() async throws {
        let fixture = try await StoreFixture.make()
        let acme = try await fixture.tenant()
        let ghostCube = try CubeID.make()
        try await expectError(.notFound, "cube \(ghostCube) does not exist") {
            _ = try await acme.addMemory(.text("x"), to: ghostCube)
        }
        let ghostSubject = try SubjectID.random()
        try await expectError(.notFound, "subject \(ghostSubject) does not exist") {
            _ = try await acme.createCube(NewCube(owner: .subject(ghostSubject), name: "x"))
        }
        let cube = try await acme.createCube(NewCube(owner: .tenant, name: "c")).id
        try await expectError(.invalidArgument, "invalid memory id") {
            _ = try await acme.memories(in: .cube(cube), after: "not-a-cursor")
        }
        #expect(try MemoryID("mem_01ARZ3NDEKTSV4RRFFQ69G5FAV").rawValue.count == 30)
    }
}
