import Foundation
import GRDB
import MemVaultAudit
import MemVaultPolicy
import MemVaultTestSupport
import Testing

@testable import MemVault

@Suite("Erasure requests")
struct ErasureTests {
    /// A tenant with two subjects, each with an embedded, indexed cube, consent with evidence and a history.
    struct TwoSubjects {
        let fixture: StoreFixture
        let app: TenantStore
        let officer: TenantStore
        let alice: SubjectID
        let bob: SubjectID
        let aliceCube: CubeID
        let bobCube: CubeID
        let aliceMemories: [MemoryID]

        static func make(policy: String = "default", memories: Int = 40) async throws -> TwoSubjects {
            let fixture = try await StoreFixture.make(tenants: [])
            try await fixture.store.createTenant(TenantID("acme"), policy: policy)
            let purpose = policy == "default" ? "service-delivery" : "support"
            let app = try await fixture.tenant(
                as: AccessContext(actor: "test-app", role: .application, purpose: purpose))
            let officer = try await fixture.tenant(as: .dataProtectionOfficer)
            let alice = try await app.resolveSubject(externalID: "alice@example.com").id
            let bob = try await app.resolveSubject(externalID: "bob@example.com").id
            let category = policy == "default" ? "conversation" : "tickets"
            let aliceCube = try await app.createCube(
                NewCube(owner: .subject(alice), name: "c", defaultCategory: category, embeddingDimension: 4)
            ).id
            let bobCube = try await app.createCube(
                NewCube(owner: .subject(bob), name: "c", defaultCategory: category, embeddingDimension: 4)
            ).id
            let aliceMemories = try await app.addMemories(
                (0..<memories).map {
                    NewMemory(content: .text("alice note \($0) about zebrafinch tea"), embedding: [1, Float($0), 0, 1])
                }, to: aliceCube
            ).map(\.id)
            _ = try await app.addMemories(
                (0..<memories).map {
                    NewMemory(
                        content: .text("bob note \($0) about zebrafinch coffee"), embedding: [0, 1, Float($0), 1])
                }, to: bobCube)
            // A second version, so the history holds one too.
            var revision = MemoryChanges()
            revision.content = .text("alice revised zebrafinch note")
            _ = try await app.updateMemory(aliceMemories[0], revision)
            for subject in [alice, bob] {
                try await officer.setConsent(
                    .given, subject: subject, purpose: purpose, evidence: "signup form v3")
            }
            return TwoSubjects(
                fixture: fixture, app: app, officer: officer, alice: alice, bob: bob, aliceCube: aliceCube,
                bobCube: bobCube, aliceMemories: aliceMemories)
        }
    }

    @Test("a full erasure removes every record of the subject, destroys its keys and issues a verifiable receipt")
    func fullErasure() async throws {
        let setup = try await TwoSubjects.make()
        let (fixture, officer, alice) = (setup.fixture, setup.officer, setup.alice)
        let filed = try await officer.requestErasure(of: alice, requester: .dataSubject, ground: .consentWithdrawn)
        #expect(filed.state == .received && filed.subject.hasPrefix("apn_") && filed.isFullErasure)
        let month = filed.dueAt.timeIntervalSince(filed.receivedAt) / 86_400
        #expect((28...31).contains(month), "due one month after receipt (Art. 12(3))")
        // Filing again while it is open returns the same request; another scope is a conflict.
        #expect(
            try await officer.requestErasure(of: alice, requester: .dataSubject, ground: .consentWithdrawn) == filed)
        let conflict = await #expect(throws: MemVaultError.self) {
            try await officer.requestErasure(
                of: alice, categories: ["conversation"], requester: .dataSubject, ground: .objection)
        }
        #expect(conflict?.code == .conflict)

        var steps: [ErasureRequest.Step] = []
        let done = try await officer.runErasure(filed.id, batch: 16) { steps.append($0.step) }
        #expect(done.state == .completed && done.step == .done)
        #expect(done.erased == ["conversation": 40] && done.retained.isEmpty)
        #expect(done.cubes == 1 && done.consentRecords == 2 && done.keysDestroyed >= 1)
        #expect(steps.filter { $0 == .memories }.count == 3, "40 memories in batches of 16: \(steps)")

        // Nothing of Alice is left in her tables; Bob is untouched and still searchable.
        try fixture.tamper { db in
            for (table, column) in [
                ("memories", "subject_id"), ("memory_history", "subject_id"), ("cubes", "subject_id"),
                ("subjects", "subject_id"), ("consents", "subject_id"), ("consent_history", "subject_id"),
                ("erasure_requests", "subject_id"),
            ] {
                let left = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM \(table) WHERE \(column) = ?", arguments: [alice.rawValue])
                #expect(left == 0, "\(table)")
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM memory_vectors") == 40)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM search_documents") == 40)
        }
        let found = try await setup.app.search(SearchQuery("zebrafinch", in: .subject(setup.bob), limit: 100))
        #expect(found.hits.count == 40)
        let gone = await #expect(throws: MemVaultError.self) { try await setup.app.memory(setup.aliceMemories[1]) }
        #expect(gone?.code == .notFound)
        // The subject's keys are gone: no pseudonym or key can be derived for it any more.
        #expect(throws: MemVaultError.self) { try fixture.store.keys.auditPseudonym(TenantID("acme"), subject: alice) }

        // The request is final and idempotent; it no longer names the subject.
        #expect(try await officer.runErasure(filed.id) == done)
        #expect(try await officer.erasureRequest(filed.id) == done)

        // The receipt verifies with the tenant's audit key, and fails once altered.
        let auditor = try await fixture.tenant(as: .auditor)
        let verifier = try await auditor.auditVerifierKey()
        let receipt = try await auditor.erasureReceipt(filed.id)
        #expect(receipt.subject == filed.subject && receipt.erased == [.init(category: "conversation", count: 40)])
        let document = try receipt.document()
        let verification = ErasureReceipt.verify(document, verifier: verifier)
        #expect(verification.isValid, "\(verification.checks)")
        let altered = Array(
            String(decoding: document, as: UTF8.self).replacingOccurrences(of: "\"count\":40", with: "\"count\":39")
                .utf8)
        #expect(!ErasureReceipt.verify(altered, verifier: verifier).isValid)

        // The log verifies, and the entries about Alice carry only her (now unlinkable) audit pseudonym.
        #expect(try await auditor.verifyAudit().isValid)
        let entries = try await auditor.auditLog()
        let completion = try #require(entries.first { $0.sequence == done.completionEntry })
        #expect(completion.detail == "erasure \(filed.id) completed" && completion.subject == filed.subject)
        let log = try filesUnder(fixture.dataPath)
        #expect(MarkerScanner(markers: [alice.rawValue, "alice@example.com"]).scan(log) == [])
    }

    @Test("categories with an erasure exception are kept, restricted to the exception's purposes and listed")
    func exceptionsAreKeptAndRestricted() async throws {
        let setup = try await TwoSubjects.make(policy: "customer-support", memories: 10)
        let (officer, app, alice) = (setup.officer, setup.app, setup.alice)
        let invoices = try await app.addMemories(
            (0..<3).map { NewMemory(content: .text("invoice \($0)"), category: "invoices") }, to: setup.aliceCube)
        let filed = try await officer.requestErasure(of: alice, requester: .dataSubject, ground: .noLongerNecessary)
        let done = try await officer.runErasure(filed.id)
        #expect(done.state == .completedWithExceptions && done.keysDestroyed == 0)
        #expect(done.erased == ["tickets": 10])
        let kept = try #require(done.retained.first)
        #expect(kept.category == "invoices" && kept.count == 3 && kept.basis == "legal-obligation")
        #expect(kept.purposes == ["bookkeeping"] && kept.article == "Art. 17(3)(b)")

        // Support may no longer read them; bookkeeping still may (Art. 18).
        let denied = await #expect(throws: MemVaultError.self) { try await app.memory(invoices[0].id) }
        #expect(denied?.code == .denied && denied?.message.contains("memvault:restriction") == true)
        let bookkeeping = try await setup.fixture.tenant(
            as: AccessContext(actor: "test-app", role: .application, purpose: "bookkeeping"))
        #expect(try await bookkeeping.memory(invoices[0].id).content.text == "invoice 0")
        let restrictions = try await officer.restrictions()
        #expect(restrictions.count == 1 && restrictions[0].ground == .erasureException)
        #expect(restrictions[0].request == filed.id && restrictions[0].categories == ["invoices"])

        let receipt = try await officer.erasureReceipt(filed.id)
        #expect(receipt.state == "completed-with-exceptions" && receipt.retained.first?.count == 3)
        let verifier = try await officer.auditVerifierKey()
        #expect(ErasureReceipt.verify(try receipt.document(), verifier: verifier).isValid)
        #expect(try await officer.erasureRequestsToRun().isEmpty)

        // Ten years on the exception lapses: the next run erases the invoices, then the subject and its keys.
        setup.fixture.clock.advance(by: (10 * 366 + 1) * 86_400)
        #expect(try await officer.erasureRequestsToRun().map(\.id) == [filed.id])
        let finished = try await officer.runErasure(filed.id)
        #expect(finished.state == .completed && finished.retained.isEmpty && finished.keysDestroyed >= 1)
        #expect(finished.erased == ["tickets": 10, "invoices": 3])
        #expect(try await officer.restrictions(includeLifted: true).isEmpty)
        #expect(try setup.fixture.rowCount("subjects") == 1)
        let second = try await officer.erasureReceipt(filed.id)
        #expect(second.state == "completed" && second.keysDestroyed >= 1)
        #expect(ErasureReceipt.verify(try second.document(), verifier: verifier).isValid)
    }

    @Test("a legal hold on the subject or one of its cubes rejects the request and says which")
    func legalHoldRejects() async throws {
        let setup = try await TwoSubjects.make(memories: 3)
        let hold = try await setup.officer.setHold(on: .cube(setup.aliceCube), reason: "case 7")
        let filed = try await setup.officer.requestErasure(
            of: setup.alice, requester: .dataSubject, ground: .objection)
        let result = try await setup.officer.runErasure(filed.id)
        #expect(result.state == .rejected && result.rejection == .legalHold && result.holds == [hold.id])
        #expect(try setup.fixture.rowCount("memories") == 6)
        let entry = try await setup.fixture.tenant(as: .auditor).auditLog().last { $0.action == .erase }
        #expect(entry?.effect == .deny && entry?.ruleIDs == ["memvault:legal-hold"])
    }

    @Test("an erasure of some categories leaves the subject, its keys and its other memories")
    func partialErasure() async throws {
        let setup = try await TwoSubjects.make(memories: 5)
        let profile = try await setup.app.addMemories(
            (0..<2).map { NewMemory(content: .text("profile \($0)"), category: "profile") }, to: setup.aliceCube)
        let filed = try await setup.officer.requestErasure(
            of: setup.alice, categories: ["profile"], requester: .dataSubject, ground: .objection)
        let done = try await setup.officer.runErasure(filed.id)
        #expect(done.state == .completed && done.erased == ["profile": 2] && done.keysDestroyed == 0)
        #expect(done.cubes == 0 && done.consentRecords == 0)
        for memory in profile {
            await #expect(throws: MemVaultError.self) { try await setup.app.memory(memory.id) }
        }
        #expect(try await setup.app.memory(setup.aliceMemories[1]).content.text?.contains("alice note 1") == true)
    }

    @Test("only the data-protection officer files requests; auditors may follow them; the policy decides the run")
    func roles() async throws {
        let setup = try await TwoSubjects.make(memories: 1)
        let refused = await #expect(throws: MemVaultError.self) {
            try await setup.app.requestErasure(of: setup.alice, requester: .dataSubject, ground: .objection)
        }
        #expect(refused?.code == .denied)
        let filed = try await setup.officer.requestErasure(
            of: setup.alice, requester: .representative, ground: .objection)
        let auditor = try await setup.fixture.tenant(as: .auditor)
        #expect(try await auditor.erasureRequests().map(\.id) == [filed.id])
        let administrator = try await setup.fixture.tenant(as: .administrator)
        let notPermitted = await #expect(throws: MemVaultError.self) { try await administrator.runErasure(filed.id) }
        #expect(notPermitted?.code == .denied)
        #expect(try await auditor.erasureRequest(filed.id).state == .received)
        let extended = try await setup.officer.extendErasure(filed.id)
        #expect(extended.extended && extended.dueAt > filed.dueAt)
        await #expect(throws: MemVaultError.self) { try await setup.officer.extendErasure(filed.id) }
    }

    @Test("an erasure request edited in the files is never obeyed")
    func tamperedRequest() async throws {
        let setup = try await TwoSubjects.make(memories: 1)
        let filed = try await setup.officer.requestErasure(of: setup.alice, requester: .dataSubject, ground: .objection)
        try setup.fixture.tamper { db in
            try db.execute(
                sql: "UPDATE erasure_requests SET subject_id = ? WHERE request_id = ?",
                arguments: [setup.bob.rawValue, filed.id])
        }
        let refused = await #expect(throws: MemVaultError.self) { try await setup.officer.runErasure(filed.id) }
        #expect(refused?.code == .integrity)
        #expect(try setup.fixture.rowCount("memories") == 2)
    }
}

@Suite("Restriction of processing")
struct RestrictionTests {
    @Test("a restriction limits processing to its purposes until lifted; a deleted restriction is caught")
    func restrictAndLift() async throws {
        let setup = try await ErasureTests.TwoSubjects.make(memories: 2)
        let restriction = try await setup.officer.restrictProcessing(
            of: setup.alice, purposes: ["data-subject-rights"], ground: .accuracyContested)
        #expect(restriction.isActive && restriction.categories.isEmpty)
        let denied = await #expect(throws: MemVaultError.self) { try await setup.app.memory(setup.aliceMemories[1]) }
        #expect(denied?.message.contains("restricted (GDPR Art. 18)") == true)
        // Searches leave the restricted memories out; Bob's are unaffected.
        let hits = try await setup.app.search(
            SearchQuery("zebrafinch", in: .cubes([setup.aliceCube, setup.bobCube]), limit: 100)
        ).hits
        #expect(hits.allSatisfy { $0.memory.cube == setup.bobCube } && hits.count == 2)
        #expect(try await setup.officer.memory(setup.aliceMemories[1]).content.text?.contains("alice") == true)

        // Deleting the restriction in the files does not lift it: this process keeps obeying what it verified, and
        // a new one finds that the registry no longer matches.
        try setup.fixture.tamper { db in try db.execute(sql: "DELETE FROM restrictions") }
        let stillDenied = await #expect(throws: MemVaultError.self) {
            try await setup.app.memory(setup.aliceMemories[1])
        }
        #expect(stillDenied?.code == .denied)
        let reopened = try await setup.fixture.reopened()
        let refused = await #expect(throws: MemVaultError.self) {
            try await reopened.tenant(TenantID("acme"), as: .serviceDelivery).memory(setup.aliceMemories[1])
        }
        #expect(refused?.code == .integrity)
        try await reopened.close()
    }

    @Test("lifting a restriction lets processing resume; unknown purposes and grounds are refused")
    func lift() async throws {
        let setup = try await ErasureTests.TwoSubjects.make(memories: 1)
        let restriction = try await setup.officer.restrictProcessing(
            of: setup.alice, categories: ["conversation"], ground: .objectionPending)
        await #expect(throws: MemVaultError.self) { try await setup.app.memory(setup.aliceMemories[0]) }
        let lifted = try await setup.officer.liftRestriction(restriction.id)
        #expect(!lifted.isActive && lifted.liftedBy == "test-dpo")
        #expect(try await setup.app.memory(setup.aliceMemories[0]).version == 2)
        let unknown = await #expect(throws: MemVaultError.self) {
            try await setup.officer.restrictProcessing(of: setup.alice, purposes: ["nosuch"], ground: .legalClaims)
        }
        #expect(unknown?.code == .invalidArgument)
        await #expect(throws: MemVaultError.self) {
            try await setup.officer.restrictProcessing(of: setup.alice, ground: .erasureException)
        }
        #expect(try await setup.officer.restrictions(includeLifted: true).count == 1)
    }
}

@Suite("Erasure across processes")
struct ErasureAcrossProcessesTests {
    @Test("a process that cached the subject's keys stops decrypting its memories once another erased it")
    func otherProcessNotices() async throws {
        let setup = try await ErasureTests.TwoSubjects.make(memories: 3)
        let other = try await setup.fixture.reopened()
        let reader = try await other.tenant(TenantID("acme"), as: .serviceDelivery)
        #expect(try await reader.memory(setup.aliceMemories[1]).content.text?.contains("alice note 1") == true)
        #expect(try await reader.search(SearchQuery("zebrafinch", in: .subject(setup.alice))).hits.count == 3)

        let request = try await setup.officer.requestErasure(
            of: setup.alice, requester: .dataSubject, ground: .consentWithdrawn)
        #expect(try await setup.officer.runErasure(request.id).state == .completed)

        let gone = await #expect(throws: MemVaultError.self) { try await reader.memory(setup.aliceMemories[1]) }
        #expect(gone?.code == .notFound)
        let search = await #expect(throws: MemVaultError.self) {
            try await reader.search(SearchQuery("zebrafinch", in: .subject(setup.alice)))
        }
        #expect(search?.code == .notFound)
        let bob = try await bobMemory(setup)
        #expect(try await reader.memory(bob).cube == setup.bobCube)
        try await other.close()
    }

    private func bobMemory(_ setup: ErasureTests.TwoSubjects) async throws -> MemoryID {
        try await setup.app.memories(in: .cube(setup.bobCube)).items[0].id
    }
}
