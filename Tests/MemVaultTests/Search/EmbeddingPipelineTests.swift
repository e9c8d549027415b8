import Foundation
import MemVaultAudit
import MemVaultPolicy
import Synchronization
import Testing

@testable import MemVault

@Suite("Embedding in the background")
struct EmbeddingPipelineTests {
    struct World {
        let fixture: StoreFixture
        let acme: TenantStore
        let alice: SubjectID
        let cube: MemCube
        let embedder = WordCountEmbedder()

        static func make() async throws -> World {
            let fixture = try await StoreFixture.make()
            let acme = try await fixture.tenant()
            let alice = try await acme.resolveSubject(externalID: "alice").id
            let cube = try await acme.createCube(
                NewCube(
                    owner: .subject(alice), name: "embedded", defaultCategory: "conversation",
                    embeddingDimension: WordCountEmbedder.words.count, embedder: "word-count"))
            return World(fixture: fixture, acme: acme, alice: alice, cube: cube)
        }

        /// Runs passes until the backlog is read to its end; the total embedded.
        func drain(limit: Int = 3) async throws -> Int {
            var after: MemoryID?
            var total = 0
            repeat {
                let pass = try await acme.embedAwaiting(in: cube.id, with: embedder, after: after, limit: limit)
                total += pass.embedded
                after = pass.next
            } while after != nil
            return total
        }
    }

    @Test("adds do not wait: memories wait in the backlog, passes embed them in batches, the cube names its model")
    func backlogDrains() async throws {
        let world = try await World.make()
        #expect(world.cube.embedder == "word-count")
        #expect(try await world.acme.cube(world.cube.id).embedder == "word-count")
        let texts = ["tea in Lisbon", "coffee in Porto", "a cat and a dog", "music and a book", "tea tea tea", "dog"]
        let added = try await world.acme.addMemories(texts.map { NewMemory(content: .text($0)) }, to: world.cube.id)
        #expect(world.embedder.texts.isEmpty, "adding does not embed")
        let before = try await world.acme.embeddingBacklog(world.cube.id)
        #expect(before.awaiting == 6)
        #expect(before.embedder == "word-count")
        #expect(before.oldestAwaitingSince == added[0].createdAt)

        #expect(try await world.drain() == 6)
        #expect(Set(world.embedder.texts) == Set(texts))
        let after = try await world.acme.embeddingBacklog(world.cube.id)
        #expect(after.awaiting == 0 && after.oldestAwaitingSince == nil)

        // What was stored is the model's vector for the memory, sealed: vector search finds it.
        let results = try await world.acme.search(
            SearchQuery(
                "", in: .cubes([world.cube.id]), limit: 2, vector: WordCountEmbedder.vector("tea"), mode: .vector))
        #expect(results.hits.first?.memory.id == added[4].id)

        // An update without an embedding puts the memory back in the backlog; the next pass embeds the new text.
        _ = try await world.acme.updateMemory(added[5].id, MemoryChanges(content: .text("now about a book")))
        #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 1)
        #expect(try await world.drain() == 1)
        #expect(world.embedder.texts.last == "now about a book")
    }

    @Test("each pass is recorded: what was read to be embedded, then what was stored, ids only")
    func audited() async throws {
        let world = try await World.make()
        let added = try await world.acme.addMemories(
            ["tea", "coffee"].map { NewMemory(content: .text($0)) }, to: world.cube.id)
        _ = try await world.drain(limit: 10)
        let entries = try await world.fixture.tenant(as: .auditor).auditLog().filter {
            $0.detail?.hasPrefix("embedding") == true
        }
        #expect(entries.map(\.detail) == ["embedding: read", "embedding: stored"])
        #expect(entries.allSatisfy { Set($0.memories) == Set(added.map(\.id.rawValue)) && $0.effect == .permit })
        #expect(entries.allSatisfy { $0.action == .write })
    }

    @Test("a memory changed while it was being embedded keeps no stale vector; a withdrawn consent stops embedding")
    func racesAndPolicy() async throws {
        let world = try await World.make()
        let slow = SlowEmbedder(inner: world.embedder)
        let memory = try await world.acme.addMemory(.text("tea"), to: world.cube.id)
        async let pass = world.acme.embedAwaiting(in: world.cube.id, with: slow)
        await slow.started.wait()
        _ = try await world.acme.updateMemory(memory.id, MemoryChanges(content: .text("coffee")))
        slow.proceed.signal()
        let result = try await pass
        #expect(result.embedded == 0 && result.skipped == 1)
        #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 1)
        #expect(try await world.drain() == 1)
        #expect(world.embedder.texts.last == "coffee")

        // Under the default policy, processing "conversation" memories for service delivery needs no consent, but
        // a purpose that does is refused once consent is withdrawn.
        let personal = try await world.fixture.tenant(as: .personalisation)
        try await personal.setConsent(.given, subject: world.alice, purpose: "personalisation")
        _ = try await world.acme.addMemory(.text("dog"), to: world.cube.id)
        try await personal.setConsent(.withdrawn, subject: world.alice, purpose: "personalisation")
        let refused = try await personal.embedAwaiting(in: world.cube.id, with: world.embedder)
        #expect(refused.embedded == 0 && refused.withheld == 1)
        #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 1)
    }

    @Test("the embedder must be the cube's model; re-embedding drops every vector so passes embed them again")
    func modelAndReembed() async throws {
        let world = try await World.make()
        _ = try await world.acme.addMemories(
            ["tea", "coffee", "dog"].map { NewMemory(content: .text($0)) }, to: world.cube.id)
        let other = WordCountEmbedder(name: "another-model")
        let wrong = await #expect(throws: MemVaultError.self) {
            try await world.acme.embedAwaiting(in: world.cube.id, with: other)
        }
        #expect(wrong?.message.contains("is embedded with word-count") == true)
        #expect(try await world.drain() == 3)
        #expect(try await world.acme.reembed(world.cube.id) == 3)
        #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 3)
        #expect(try await world.drain() == 3)

        let plain = try await world.acme.createCube(NewCube(owner: .subject(world.alice), name: "plain"))
        await #expect(throws: MemVaultError.self) { try await world.acme.embeddingBacklog(plain.id) }
        await #expect(throws: MemVaultError.self) {
            try await world.acme.createCube(NewCube(owner: .subject(world.alice), name: "x", embedder: "word-count"))
        }
        await #expect(throws: MemVaultError.self) {
            try await world.acme.createCube(
                NewCube(owner: .subject(world.alice), name: "x", embeddingDimension: 8, embedder: "no spaces allowed"))
        }
    }
}

extension EmbeddingPipelineTests {
    @Test("the background indexer keeps embedding what arrives until its task is cancelled; only its model's cubes")
    func backgroundIndexer() async throws {
        let world = try await World.make()
        let other = try await world.acme.createCube(
            NewCube(
                owner: .subject(world.alice), name: "other model", embeddingDimension: WordCountEmbedder.words.count,
                embedder: "another-model"))
        _ = try await world.acme.addMemory(.text("not for this indexer"), to: other.id)
        let indexer = BackgroundIndexer(
            store: world.acme, embedder: world.embedder, batch: 2, interval: .milliseconds(20))
        let running = Task { try await indexer.run() }
        for round in 0..<3 {
            _ = try await world.acme.addMemories(
                (0..<5).map { NewMemory(content: .text("tea \(round) \($0)")) }, to: world.cube.id)
            let deadline = ContinuousClock.now + .seconds(120)
            while try await world.acme.embeddingBacklog(world.cube.id).awaiting > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 0, "round \(round)")
        }
        running.cancel()
        try await running.value
        #expect(world.embedder.texts.count == 15)
        #expect(try await world.acme.embeddingBacklog(other.id).awaiting == 1)
    }

    @Test("an idle indexer records nothing, and memories the policy withholds are not retried every interval")
    func indexerKeepsTheLogQuiet() async throws {
        let world = try await World.make()
        let personal = try await world.fixture.tenant(as: .personalisation)
        try await personal.setConsent(.withdrawn, subject: world.alice, purpose: "personalisation")
        _ = try await world.acme.addMemory(.text("tea"), to: world.cube.id)
        let auditor = try await world.fixture.tenant(as: .auditor)
        let indexer = BackgroundIndexer(
            store: personal, embedder: world.embedder, batch: 8, interval: .milliseconds(10),
            retryWithheldAfter: .seconds(3_600))
        let running = Task { try await indexer.run() }
        func denials(atLeast count: Int) async throws -> [AuditEntry] {
            let deadline = ContinuousClock.now + .seconds(120)
            while true {
                let log = try await auditor.auditLog()
                let denials = log.filter { $0.effect == .deny && $0.detail == "embedding: read" }
                if denials.count >= count || ContinuousClock.now > deadline { return log }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // The first sweep finds the memory withheld and records that; later polls find the same backlog and leave it.
        let afterFirst = try await denials(atLeast: 1).count
        try await Task.sleep(for: .milliseconds(500))
        let later = try await auditor.auditLog()
        // Reading the log is itself recorded: one entry for the read in between.
        #expect(later.count == afterFirst + 1, "the indexer recorded \(later.count - afterFirst - 1) more entries")
        #expect(world.embedder.texts.isEmpty)

        // A new memory moves the backlog: the cube is swept again (and withheld again, for this purpose).
        _ = try await world.acme.addMemory(.text("coffee"), to: world.cube.id)
        let again = try await denials(atLeast: 2).filter { $0.effect == .deny && $0.detail == "embedding: read" }
        #expect(again.count == 2)
        running.cancel()
        try await running.value
    }

    @Test("with an embedder, search embeds the query and goes hybrid, over what is embedded, saying what waits")
    func searchEmbedsTheQuery() async throws {
        let world = try await World.make()
        let added = try await world.acme.addMemories(
            ["we drank tea", "coffee at noon", "a walk with the dog"].map { NewMemory(content: .text($0)) },
            to: world.cube.id)
        _ = try await world.drain()
        _ = try await world.acme.addMemory(.text("more tea later"), to: world.cube.id)
        let scope = SearchQuery.Scope.subject(world.alice)

        let hybrid = try await world.acme.search(SearchQuery("tea", in: scope), embedder: world.embedder)
        #expect(hybrid.mode == .hybrid)
        #expect(world.embedder.texts.last == "tea", "the query was embedded at search time")
        #expect(hybrid.awaitingEmbedding == 1)
        let teaHit = try #require(hybrid.hits.first { $0.memory.id == added[0].id })
        #expect(teaHit.matched == [.lexical, .vector])
        // The memory not embedded yet is found by its words alone.
        #expect(hybrid.hits.contains { $0.matched == [.lexical] && $0.memory.content == .text("more tea later") })

        // Asking for lexical search, or having no embedder, leaves the query unembedded.
        let asked = world.embedder.texts.count
        let lexical = try await world.acme.search(
            SearchQuery("tea", in: scope, mode: .lexical), embedder: world.embedder)
        #expect(lexical.mode == .lexical && lexical.hits.allSatisfy { $0.matched == [.lexical] })
        #expect(try await world.acme.search(SearchQuery("tea", in: scope)).mode == .lexical)
        #expect(world.embedder.texts.count == asked)
        let vectorOnly = try await world.acme.search(
            SearchQuery("dog", in: scope, mode: .vector), embedder: world.embedder)
        #expect(vectorOnly.hits.first?.memory.id == added[2].id)

        // A cube that names no embedder is searched by words only, and its caller-supplied vectors are not
        // compared with the model's.
        let supplied = try await world.acme.createCube(
            NewCube(
                owner: .subject(world.alice), name: "supplied", defaultCategory: "conversation",
                embeddingDimension: WordCountEmbedder.words.count))
        _ = try await world.acme.addMemory(
            NewMemory(content: .text("unrelated"), embedding: WordCountEmbedder.vector("tea")), to: supplied.id)
        let mixed = try await world.acme.search(SearchQuery("tea", in: scope, limit: 10), embedder: world.embedder)
        #expect(!mixed.hits.contains { $0.memory.cube == supplied.id })
        let alone = try await world.acme.search(
            SearchQuery("tea", in: .cubes([supplied.id])), embedder: world.embedder)
        #expect(alone.mode == .lexical && alone.hits.isEmpty)
    }
}

extension EmbeddingPipelineTests {
    @Test("an embedder that cannot run fails before any memory is read or recorded")
    func unavailableEmbedder() async throws {
        let world = try await World.make()
        _ = try await world.acme.addMemory(.text("tea"), to: world.cube.id)
        let before = try await world.fixture.tenant(as: .auditor).auditLog().count
        let broken = FailingEmbedder()
        let refused = await #expect(throws: MemVaultError.self) {
            try await world.acme.embedAwaiting(in: world.cube.id, with: broken)
        }
        #expect(refused?.code == .embedderUnavailable)
        // Only the auditor's own read of the log was recorded in between.
        #expect(try await world.fixture.tenant(as: .auditor).auditLog().count == before + 1)
        #expect(try await world.acme.embeddingBacklog(world.cube.id).awaiting == 1)
    }
}

/// An embedder whose model is missing.
struct FailingEmbedder: Embedder {
    var name: String { "word-count" }
    var dimension: Int { WordCountEmbedder.words.count }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw MemVaultError(.embedderUnavailable, "the model is not installed")
    }
}

/// Holds an embedding until told to go on, so a test can change the memory meanwhile.
final class SlowEmbedder: Embedder {
    let inner: WordCountEmbedder
    let started = Gate()
    let proceed = Gate()
    var name: String { inner.name }
    var dimension: Int { inner.dimension }

    init(inner: WordCountEmbedder) { self.inner = inner }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        // The store's readiness check embeds nothing; only a real batch is held.
        guard !texts.isEmpty else { return [] }
        started.signal()
        await proceed.wait()
        return try await inner.embed(texts)
    }
}

/// A one-shot signal between tasks.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func signal() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}
