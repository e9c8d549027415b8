import Foundation
import GRDB
import MemVaultAudit
import MemVaultPolicy
import Testing

@testable import MemVault

@Suite("Search")
struct SearchTests {
    /// One tenant, two subjects with a personal cube each, and a shared cube.
    struct World {
        let fixture: StoreFixture
        let acme: TenantStore
        let alice: SubjectID
        let bob: SubjectID
        let aliceCube: CubeID
        let bobCube: CubeID
        let shared: CubeID

        static func make() async throws -> World {
            let fixture = try await StoreFixture.make()
            let acme = try await fixture.tenant()
            let alice = try await acme.resolveSubject(externalID: "alice").id
            let bob = try await acme.resolveSubject(externalID: "bob").id
            func cube(_ owner: CubeOwner, _ name: String) async throws -> CubeID {
                try await acme.createCube(NewCube(owner: owner, name: name, defaultCategory: "conversation")).id
            }
            return World(
                fixture: fixture, acme: acme, alice: alice, bob: bob, aliceCube: try await cube(.subject(alice), "a"),
                bobCube: try await cube(.subject(bob), "b"), shared: try await cube(.tenant, "faq"))
        }

        func ids(_ query: SearchQuery) async throws -> [MemoryID] {
            try await acme.search(query).hits.map(\.memory.id)
        }
    }

    @Test("the index changes with the memory in one unit of work: add, update, archive, delete, cube delete")
    func indexFollowsTheStore() async throws {
        let world = try await World.make()
        let acme = world.acme
        let tea = try await acme.addMemory(.text("Alice drinks green tea every morning"), to: world.aliceCube)
        let coffee = try await acme.addMemory(.text("Alice never drinks coffee"), to: world.aliceCube)
        #expect(try await world.ids(SearchQuery("tea", in: .subject(world.alice))) == [tea.id])
        #expect(try await world.ids(SearchQuery("drinking", in: .subject(world.alice))).count == 2, "stemmed")

        // An update re-indexes the new version only: the old words no longer find it.
        _ = try await acme.updateMemory(tea.id, MemoryChanges(content: .text("Alice switched to oolong")))
        #expect(try await world.ids(SearchQuery("green tea", in: .subject(world.alice))) == [])
        #expect(try await world.ids(SearchQuery("oolong", in: .subject(world.alice))) == [tea.id])

        // Archived memories stay indexed but are found only when asked for.
        _ = try await acme.archiveMemory(coffee.id)
        #expect(try await world.ids(SearchQuery("coffee", in: .subject(world.alice))) == [])
        #expect(
            try await world.ids(
                SearchQuery("coffee", in: .subject(world.alice), filter: SearchFilter(statuses: [.archived])))
                == [coffee.id])

        try await acme.deleteMemory(coffee.id)
        #expect(try world.fixture.rowCount("search_documents") == 1)
        #expect(try await world.ids(SearchQuery("coffee", in: .subject(world.alice), filter: .any)) == [])

        // A cube's deletion removes its memories' entries in the same statement (a trigger on `memories`).
        _ = try await acme.addMemories((0..<20).map { .text("note \($0) about oolong") }, to: world.bobCube)
        #expect(try world.fixture.rowCount("search_documents") == 21)
        try await acme.deleteCube(world.bobCube)
        #expect(try world.fixture.rowCount("search_documents") == 1)
        try world.fixture.tamper { db in
            // The FTS index itself agrees: one row left, and it matches its stored terms.
            let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM search_index_docsize")
            #expect(rows == 1)
        }
    }

    @Test("a cube created without a search index keeps no entries and cannot be searched")
    func unindexedCube() async throws {
        let world = try await World.make()
        let quiet = try await world.acme.createCube(
            NewCube(owner: .subject(world.alice), name: "quiet", defaultCategory: "conversation", analysis: .unindexed))
        #expect(quiet.analysis.indexed == false)
        _ = try await world.acme.addMemories([.text("tea"), .text("more tea")], to: quiet.id)
        let indexed = try await world.acme.addMemory(.text("tea time"), to: world.aliceCube)
        #expect(try world.fixture.rowCount("search_documents") == 1)
        // A subject's search skips the cube; naming it is an error.
        #expect(try await world.ids(SearchQuery("tea", in: .subject(world.alice))) == [indexed.id])
        let error = await #expect(throws: MemVaultError.self) {
            _ = try await world.acme.search(SearchQuery("tea", in: .cubes([quiet.id])))
        }
        #expect(error?.message.contains("without a search index") == true)
        // The option is sealed with the cube: a reopened store still knows it.
        let reopened = try await world.fixture.reopened().tenant(TenantID("acme"))
        #expect(try await reopened.cube(quiet.id).analysis == .unindexed)
    }

    @Test("a unit of work that fails leaves no index entry behind")
    func failedAddLeavesNothing() async throws {
        let world = try await World.make()
        // Withdrawn consent denies the add inside its unit of work; nothing of it may remain.
        let personal = try await world.fixture.tenant(as: .personalisation)
        try await personal.setConsent(.withdrawn, subject: world.alice, purpose: "personalisation")
        await #expect(throws: MemVaultError.self) {
            _ = try await personal.addMemory(.text("secret plans"), to: world.aliceCube)
        }
        #expect(try world.fixture.rowCount("search_documents") == 0)
        #expect(try world.fixture.rowCount("memories") == 0)
    }

    @Test("filters: types, categories, tags (blind, folded), occurred-at range, validity, status")
    func filters() async throws {
        let world = try await World.make()
        let acme = world.acme
        let day: TimeInterval = 86_400
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let trip = try await acme.addMemory(
            NewMemory(
                content: .text("trip to Lisbon"), type: .episodic, tags: ["Travel", "Family"], occurredAt: base),
            to: world.aliceCube)
        let plan = try await acme.addMemory(
            NewMemory(
                content: .text("plan a trip to Porto"), type: .longTerm, category: "profile", tags: ["travel"],
                occurredAt: base + 10 * day, validFrom: base, validUntil: base + 5 * day),
            to: world.aliceCube)
        let work = try await acme.addMemory(.text("work trip to Berlin"), to: world.aliceCube)
        let scope = SearchQuery.Scope.subject(world.alice)
        #expect(Set(try await world.ids(SearchQuery("trip", in: scope))) == [trip.id, plan.id, work.id])
        #expect(
            try await world.ids(SearchQuery("trip", in: scope, filter: SearchFilter(types: [.episodic]))) == [trip.id])
        #expect(
            try await world.ids(SearchQuery("trip", in: scope, filter: SearchFilter(categories: ["profile"])))
                == [plan.id])
        #expect(Set(try await world.ids(SearchQuery("trip", in: scope, tags: ["TRAVEL"]))) == [trip.id, plan.id])
        #expect(try await world.ids(SearchQuery("trip", in: scope, tags: ["travel", "famîly"])) == [trip.id])
        #expect(try await world.ids(SearchQuery("trip", in: scope, tags: ["nope"])) == [])
        let range = SearchFilter(
            occurredFrom: StoredTime(now: base + day), occurredUntil: StoredTime(now: base + 20 * day))
        #expect(try await world.ids(SearchQuery("trip", in: scope, filter: range)) == [plan.id])
        #expect(
            try await world.ids(
                SearchQuery("trip", in: scope, filter: SearchFilter(validAt: StoredTime(now: base + 7 * day)))
            )
            .contains(plan.id) == false)
        // The day it happened is searchable too.
        #expect(try await world.ids(SearchQuery("14 November 2023", in: scope)).first == trip.id)
    }

    @Test("results are only what the policy allows for the purpose; withheld matches are counted, not returned")
    func policy() async throws {
        let world = try await World.make()
        let acme = world.acme
        // Health memories are kept for personalisation, with consent.
        let personal = try await world.fixture.tenant(as: .personalisation)
        try await personal.setConsent(.given, subject: world.alice, purpose: "personalisation")
        let health = try await personal.addMemory(.text("asthma inhaler", category: "health"), to: world.aliceCube)
        let chat = try await acme.addMemory(.text("asthma came up in chat"), to: world.aliceCube)
        let results = try await acme.search(SearchQuery("asthma", in: .subject(world.alice)))
        #expect(results.hits.map(\.memory.id) == [chat.id])
        #expect(results.withheld.map(\.count) == [1])
        #expect(!results.hits.contains { $0.memory.id == health.id })

        // Personalisation needs consent: Bob gave it, Alice did not. A search over both is decided per subject.
        _ = try await acme.addMemory(.text("bob and asthma"), to: world.bobCube)
        try await personal.setConsent(.given, subject: world.bob, purpose: "personalisation")
        try await personal.setConsent(.withdrawn, subject: world.alice, purpose: "personalisation")
        let both = try await personal.search(SearchQuery("asthma", in: .cubes([world.aliceCube, world.bobCube])))
        #expect(both.hits.map(\.memory.subject) == [world.bob])
        #expect(both.deniedCubes == [world.aliceCube])
        // Alice alone: the search is denied, and recorded as a denial.
        await #expect(throws: MemVaultError.self) {
            _ = try await personal.search(SearchQuery("asthma", in: .subject(world.alice)))
        }
        // Auditors never search.
        let auditor = try await world.fixture.tenant(as: AccessContext(actor: "aud", role: .auditor, purpose: "safety"))
        await #expect(throws: MemVaultError.self) {
            _ = try await auditor.search(SearchQuery("asthma", in: .subject(world.bob)))
        }
    }

    @Test("subjects and tenants are isolated: same words, different blind terms, no results across scopes")
    func isolation() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let acme = try await fixture.tenant()
        let alice = try await acme.resolveSubject(externalID: "alice").id
        let bob = try await acme.resolveSubject(externalID: "bob").id
        let aliceCube = try await acme.createCube(
            NewCube(owner: .subject(alice), name: "a", defaultCategory: "conversation")
        ).id
        let bobCube = try await acme.createCube(
            NewCube(owner: .subject(bob), name: "b", defaultCategory: "conversation")
        ).id
        let a = try await acme.addMemory(.text("secret recipe"), to: aliceCube)
        let b = try await acme.addMemory(.text("secret recipe"), to: bobCube)
        #expect(try await acme.search(SearchQuery("recipe", in: .subject(alice))).hits.map(\.memory.id) == [a.id])
        #expect(try await acme.search(SearchQuery("recipe", in: .subject(bob))).hits.map(\.memory.id) == [b.id])
        let aTerms = try await acme.storage.read { try $0.indexedDocument(a.id) }
        let bTerms = try await acme.storage.read { try $0.indexedDocument(b.id) }
        #expect(aTerms != nil && bTerms != nil)
        let aSet: Set<String> = Set(aTerms?.terms ?? [])
        let bSet: Set<String> = Set(bTerms?.terms ?? [])
        #expect(aSet.isDisjoint(with: bSet), "one key per subject")

        let globex = try await fixture.tenant("globex")
        await #expect(throws: MemVaultError.self) {
            _ = try await globex.search(SearchQuery("recipe", in: .cubes([aliceCube])))
        }
    }

    @Test("each search is one audit entry listing the ids returned, never the query text")
    func audit() async throws {
        let world = try await World.make()
        let found = try await world.acme.addMemory(.text("zebra crossing"), to: world.aliceCube)
        let marker = "zebra quokkaMarker"
        _ = try await world.acme.search(SearchQuery(marker, in: .subject(world.alice)))
        let entries = try await world.fixture.tenant(as: .auditor).auditLog(AuditFilter(action: .search))
        #expect(entries.count == 1)
        #expect(entries.first?.memories == [found.id.rawValue])
        #expect(entries.first?.returned == 1)
        #expect(entries.first?.detail == "lexical")
        let bytes =
            try Data(contentsOf: URL(filePath: world.fixture.databasePath()))
            + ((try? Data(contentsOf: URL(filePath: world.fixture.databasePath() + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data("quokkamarker".utf8)) == nil)
        #expect(bytes.range(of: Data("quokkaMarker".utf8)) == nil)
    }

    @Test("bad queries are refused with clear errors")
    func badQueries() async throws {
        let world = try await World.make()
        for (query, message) in [
            (SearchQuery("  ", in: .subject(world.alice)), "the query is empty"),
            (SearchQuery("tea", in: .subject(world.alice), limit: 0), "k = 0"),
            (SearchQuery("tea", in: .cubes([])), "no cubes"),
            (SearchQuery("tea", in: .cubes([world.aliceCube, world.aliceCube])), "listed twice"),
            (SearchQuery(String(repeating: "a ", count: 5_000), in: .subject(world.alice)), "longer than"),
        ] {
            let error = await #expect(throws: MemVaultError.self) { _ = try await world.acme.search(query) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        }
    }
}

extension SearchFilter {
    /// Every status.
    static let any = SearchFilter(statuses: Set(MemoryStatus.allCases))
}
