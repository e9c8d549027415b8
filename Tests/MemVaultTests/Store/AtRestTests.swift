import Foundation
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultTestSupport
import Testing

@Suite("Nothing personal at rest")
struct AtRestTests {
    @Test("markers in content, metadata and subject ids appear in no file of the data folder; the API reads them all")
    func noPlaintextInAnyFile() async throws {
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"])
        let acme = try await fixture.tenant()
        let unique = UUID().uuidString.prefix(8)
        func marker(_ field: String) -> String { "MRK\(unique)-\(field)-secret" }
        let fields = [
            "external-id", "cube-name", "origin", "created-by", "imported-from", "content", "updated-content",
            "binary", "tag", "source-detail", "attribute-key", "attribute-value", "shared-content", "consent-evidence",
            "hold-reason",
        ]
        let scanner = MarkerScanner(markers: fields.map(marker))

        let subject = try await acme.resolveSubject(externalID: marker("external-id") + "@example.com")
        let cube = try await acme.createCube(
            NewCube(
                owner: .subject(subject.id), name: marker("cube-name"),
                provenance: Provenance(
                    origin: marker("origin"), createdBy: marker("created-by"), importedFrom: marker("imported-from"))))
        let memory = try await acme.addMemory(
            NewMemory(
                content: .text("note: " + marker("content")), tags: [marker("tag")],
                sourceDetail: marker("source-detail"),
                attributes: [marker("attribute-key"): marker("attribute-value")]),
            to: cube.id)
        _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text(marker("updated-content"))))
        let binary = try await acme.addMemory(
            NewMemory(
                content: .binary(bytes: Array(marker("binary").utf8), mediaType: "application/octet-stream"),
                type: .activation),
            to: cube.id)
        try await acme.setConsent(
            .given, subject: subject.id, purpose: "personalisation", evidence: marker("consent-evidence"))
        let hold = try await fixture.tenant(as: .administrator).setHold(
            on: .subject(subject.id), reason: marker("hold-reason"))
        let shared = try await acme.createCube(NewCube(owner: .tenant, name: "faq"))
        _ = try await acme.addMemories((0..<50).map { _ in .text(marker("shared-content")) }, to: shared.id)

        // The search index holds each indexed word only as a blind term: not the word, nor its folded or stemmed
        // form (the content's marker word, searched for, is found through the index).
        // Letters only, so the stemmer applies to it: the plural is indexed as its stem.
        // It ends in "t", so its plural loses just the "s" (a word ending in "ss" or "ie" would stem otherwise).
        let word = "Quokka" + String(unique.unicodeScalars.map { Character(UnicodeScalar(97 + $0.value % 26)!) }) + "t"
        let searchable = try await acme.addMemory(.text("\(word)s were sighted"), to: cube.id)
        let hits = try await acme.search(SearchQuery(word, in: .cubes([cube.id])))
        #expect(hits.hits.map(\.memory.id) == [searchable.id])
        let terms = MarkerScanner(markers: [word, word.lowercased(), word.lowercased() + "s", "sight", "sighted"])

        // While the store is open: the write-ahead logs and shared-memory files are part of the scan.
        let files = try filesUnder(fixture.dataPath)
        #expect(terms.scan(files) == [])
        #expect(files.keys.contains("tenants/acme.sqlite") && files.keys.contains("keys/keystore.sqlite"))
        #expect(
            files.keys.contains("tenants/acme.sqlite-wal"), "the WAL must be part of the scan: \(files.keys.sorted())")
        #expect(scanner.scan(files) == [])
        // A clean close checkpoints every write-ahead log into its database and leaves no -wal or -shm behind.
        try await fixture.store.close()
        try fixture.installation.close()
        let closed = try filesUnder(fixture.dataPath)
        #expect(closed.keys.filter { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") }.isEmpty, "\(closed.keys.sorted())")
        #expect(closed.keys.contains("catalog.sqlite") && closed.keys.contains("tenants/globex.sqlite"))
        #expect(scanner.scan(closed) == [])
        #expect(terms.scan(closed) == [])

        // Positive control: the same scanner, over what the API decrypts, finds every marker.
        let reopened = try await fixture.reopened().tenant(TenantID("acme"))
        var decrypted = [try await reopened.externalID(of: subject.id)]
        let readCube = try await reopened.cube(cube.id)
        decrypted += [
            readCube.name, readCube.provenance.origin, readCube.provenance.createdBy,
            readCube.provenance.importedFrom,
        ].compactMap { $0 }
        for version in try await reopened.history(memory.id) {
            decrypted += [version.content.text ?? "", version.sourceDetail ?? ""] + version.tags
            decrypted += version.attributes.flatMap { [$0.key, $0.value] }
        }
        if case .binary(let bytes, _) = try await reopened.memory(binary.id).content {
            decrypted.append(String(decoding: bytes, as: UTF8.self))
        }
        decrypted += try await reopened.memories(in: .cube(shared.id), limit: 1).items.compactMap(\.content.text)
        decrypted += try await reopened.consentHistory(of: subject.id).compactMap(\.evidence)
        let store = try await fixture.reopened()
        decrypted += try await store.tenant(TenantID("acme"), as: .administrator).holds().filter { $0.id == hold.id }
            .map(\.reason)
        let found = scanner.scan(["api": Array(decrypted.joined(separator: "\n").utf8)])
        #expect(found.count == fields.count, "\(found)")
    }
}
