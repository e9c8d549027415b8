import Foundation
import GRDB
import MemVaultPolicy
import MemVaultSQLite
import MemVaultTestSupport
import Testing

@testable import MemVault

/// The forensic test of erasure: every stored artefact of one subject among thousands of memories, looked for byte
/// by byte in every file of the data folder after the erasure.
@Suite("Erasure leaves nothing behind")
struct ErasureForensicTests {
    /// Everything stored of `subject`, read raw from the files.
    static func artefacts(of subject: SubjectID, in fixture: StoreFixture) throws -> NeedleSet {
        var needles = NeedleSet()
        try fixture.tamper { db in
            let id = subject.rawValue
            for row in try Row.fetchAll(
                db, sql: "SELECT memory_id, payload FROM memories WHERE subject_id = ?", arguments: [id])
            {
                needles.add(blob: "payload of \(row[0] as String)", Array(row[1] as Data))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT memory_id, payload FROM memory_history WHERE subject_id = ?", arguments: [id])
            {
                needles.add(blob: "superseded payload of \(row[0] as String)", Array(row[1] as Data))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT v.memory_id, v.vector FROM memory_vectors v JOIN memories m USING (memory_id)
                    WHERE m.subject_id = ?
                    """, arguments: [id])
            {
                needles.add(blob: "vector of \(row[0] as String)", Array(row[1] as Data))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT d.memory_id, d.terms FROM search_documents d JOIN memories m USING (memory_id)
                    WHERE m.subject_id = ?
                    """, arguments: [id])
            {
                // FTS5 stores a term after the prefix it shares with the one before it: look for the rest.
                for term in (row[1] as String).split(separator: " ") {
                    needles.add("blind term \(term)", Array(term.utf8.dropFirst(4)))
                }
            }
            let subjectRow = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT pseudonym, external_id FROM subjects WHERE subject_id = ?", arguments: [id]))
            needles.add(blob: "sealed external id", Array(subjectRow[1] as Data))
            needles.add("subject pseudonym", Array((subjectRow[0] as String).utf8))
            needles.add("subject id", Array(id.utf8))
            for evidence in try Data.fetchAll(
                db, sql: "SELECT evidence FROM consent_history WHERE subject_id = ? AND evidence IS NOT NULL",
                arguments: [id])
            {
                needles.add(blob: "consent evidence", Array(evidence))
            }
            for metadata in try Data.fetchAll(
                db, sql: "SELECT metadata FROM cubes WHERE subject_id = ?", arguments: [id])
            {
                needles.add(blob: "cube metadata", Array(metadata))
            }
        }
        try StoreFixture.tamper(path: fixture.root.appending("data/keys/keystore.sqlite")) { db in
            for wrapped in try Data.fetchAll(
                db, sql: "SELECT wrapped_key FROM data_keys WHERE owner = ?", arguments: ["subject:\(subject.rawValue)"]
            ) {
                needles.add(blob: "wrapped data key", Array(wrapped))
            }
        }
        return needles
    }

    @Test("after erasure no file holds the subject's ciphertext, vectors, blind terms, keys or identifiers")
    func forensic() async throws {
        let fixture = try await StoreFixture.make()
        let app = try await fixture.tenant()
        let officer = try await fixture.tenant(as: .dataProtectionOfficer)
        let names = ["alice", "bob", "carol", "dave"]
        var subjects: [String: SubjectID] = [:]
        var cubes: [String: CubeID] = [:]
        var memories: [String: [MemoryID]] = [:]
        for name in names {
            let subject = try await app.resolveSubject(externalID: "\(name)@example.com").id
            subjects[name] = subject
            try await officer.setConsent(.given, subject: subject, purpose: "personalisation", evidence: "form \(name)")
            let cube = try await app.createCube(
                NewCube(owner: .subject(subject), name: name, defaultCategory: "conversation", embeddingDimension: 8))
            cubes[name] = cube.id
            for batch in 0..<4 {
                memories[name, default: []] += try await app.addMemories(
                    (0..<250).map { index in
                        NewMemory(
                            content: .text("\(name) remembers okapi\(name) number \(batch * 250 + index) and tea"),
                            tags: ["tag\(name)"], embedding: (0..<8).map { _ in Float.random(in: -1...1) })
                    }, to: cube.id
                ).map(\.id)
            }
        }
        // Updates put superseded versions in the history.
        for memory in memories["alice"]!.prefix(50) {
            _ = try await app.updateMemory(memory, MemoryChanges(content: .text("alice revised okapialice note")))
        }
        // Searching moves index entries into FTS5 segments, where deletions leave tombstones.
        #expect(try await app.search(SearchQuery("okapialice", in: .subject(subjects["alice"]!))).hits.count == 10)
        let alice = subjects["alice"]!
        let artefacts = try Self.artefacts(of: alice, in: fixture)
        #expect(artefacts.count > 4_000, "\(artefacts.count) artefacts recorded")
        #expect(!artefacts.scan(try filesUnder(fixture.dataPath)).isEmpty, "the probe finds them before erasure")

        // A backup of the data folder, taken before the erasure (with the store closed, as a backup tool would).
        try await fixture.store.close()
        let backup = try TemporaryFolder()
        try FileManager.default.copyItem(atPath: fixture.dataPath, toPath: backup.appending("data"))
        let store = try await fixture.reopened()
        let erasing = try await store.tenant(TenantID("acme"), as: .dataProtectionOfficer)
        let request = try await erasing.requestErasure(of: alice, requester: .dataSubject, ground: .consentWithdrawn)
        let done = try await erasing.runErasure(request.id)
        #expect(done.state == .completed && done.erasedTotal == 1_000)

        // Every byte of every file, with the store still open (write-ahead logs and shared memory included)…
        let open = try filesUnder(fixture.dataPath)
        #expect(open.keys.contains { $0.hasSuffix("-wal") }, "the scan covers the write-ahead logs")
        #expect(artefacts.scan(open) == [])
        let plaintext = MarkerScanner(markers: ["okapialice", "alice@example.com", "form alice"])
        #expect(plaintext.scan(open) == [])
        // … the others intact and searchable …
        let reader = try await store.tenant(TenantID("acme"), as: .serviceDelivery)
        for name in names.dropFirst() {
            let found = try await reader.search(SearchQuery("okapi\(name)", in: .subject(subjects[name]!), limit: 5))
            #expect(found.hits.count == 5, "\(name)")
            #expect(try await reader.memory(memories[name]![7]).content.text?.contains("number 7") == true)
        }
        #expect(try await store.tenant(TenantID("acme"), as: .auditor).verifyAudit().isValid)
        try await store.close()
        // … and after it closed.
        #expect(artefacts.scan(try filesUnder(fixture.dataPath)) == [])

        // The backup's files opened with today's key store: the erased subject cannot be decrypted.
        try FileManager.default.removeItem(atPath: backup.appending("data/keys"))
        try FileManager.default.copyItem(
            atPath: fixture.root.appending("data/keys"), toPath: backup.appending("data/keys"))
        let restored = try await MemoryStore.open(
            try Installation.open(at: backup.appending("data"), masterKey: fixture.masterKey),
            policies: StoreFixture.policies)
        let old = try await restored.tenant(TenantID("acme"), as: .dataProtectionOfficer)
        let unreadable = await #expect(throws: MemVaultError.self) { try await old.memory(memories["alice"]![3]) }
        #expect(unreadable?.code == .unknownKey, "\(String(describing: unreadable))")
        #expect(try await old.memory(memories["bob"]![3]).content.text?.contains("bob") == true)
        try await restored.close()
    }
}
