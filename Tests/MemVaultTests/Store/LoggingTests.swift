import Foundation
import GRDB
import InMemoryLogging
import Logging
import MemVaultPolicy
import MemVaultTestSupport
import Testing

@testable import MemVault

@Suite("Nothing personal in the logs")
struct LoggingTests {
    @Test("at trace level, no content, key material or subject id reaches the log or an error message")
    func logsCarryNoPersonalData() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "memvault", factory: { _ in handler })
        logger.logLevel = .trace
        let fixture = try await StoreFixture.make(tenants: ["acme", "globex"], logger: logger)
        let unique = UUID().uuidString.prefix(8)
        func marker(_ field: String) -> String { "MRK\(unique)-\(field)-secret" }
        var fields = [
            "external-id", "cube-name", "origin", "content", "updated-content", "tag", "source-detail",
            "attribute-key", "attribute-value", "consent-evidence", "hold-reason", "media-type", "second-subject",
        ]
        var errors: [String] = []
        func expectError(_ body: () async throws -> Void) async {
            do {
                try await body()
                Issue.record("expected an error")
            } catch {
                errors.append("\(error)")
            }
        }

        // Every kind of operation, with markers wherever a caller's data goes.
        let acme = try await fixture.tenant()
        let admin = try await fixture.tenant(as: .administrator)
        let alice = try await acme.resolveSubject(externalID: marker("external-id"))
        let bob = try await acme.resolveSubject(externalID: marker("second-subject"))
        let cube = try await acme.createCube(
            NewCube(
                owner: .subject(alice.id), name: marker("cube-name"), provenance: Provenance(origin: marker("origin"))))
        let memory = try await acme.addMemory(
            NewMemory(
                content: .text(marker("content")), tags: [marker("tag")], sourceDetail: marker("source-detail"),
                attributes: [marker("attribute-key"): marker("attribute-value")]),
            to: cube.id)
        _ = try await acme.updateMemory(memory.id, MemoryChanges(content: .text(marker("updated-content"))))
        _ = try await acme.history(memory.id)
        _ = try await acme.memories(in: .subject(alice.id))
        try await acme.setConsent(
            .given, subject: alice.id, purpose: "personalisation", evidence: marker("consent-evidence"))
        _ = try await acme.consentHistory(of: alice.id)
        let hold = try await admin.setHold(on: .subject(bob.id), reason: marker("hold-reason"))
        _ = try await admin.clearHold(hold.id)
        try await admin.rotateTenantKey()
        _ = try await fixture.tenant(as: .auditor).verifyAudit()
        _ = try await fixture.tenant(as: .auditor).signAuditCheckpoint()
        try await fixture.store.deleteTenant(TenantID("globex"))

        // Errors of every kind: invalid input carrying a marker, denials, not found, an integrity failure.
        await expectError {
            _ = try await acme.addMemory(
                NewMemory(content: .binary(bytes: [1], mediaType: marker("media-type") + " bad")), to: cube.id)
        }
        await expectError { _ = try await acme.resolveSubject(externalID: marker("unknown"), create: false) }
        await expectError { _ = try await admin.memory(memory.id) }
        await expectError { _ = try await fixture.tenant(as: .auditor).subject(alice.id) }
        await expectError { _ = try await acme.memory(try MemoryID.make()) }
        await expectError { try await fixture.store.deleteTenant(TenantID("acme"), as: .auditor) }
        fields.append("unknown")
        try await fixture.store.close()
        try fixture.tamper { try $0.execute(sql: "UPDATE memories SET category = 'health'") }
        let reopened = try await fixture.reopened(logger: logger)
        await expectError { _ = try await reopened.tenant(TenantID("acme")).memory(memory.id) }
        try await reopened.close()

        let entries = handler.entries
        let lines = entries.map { entry in
            "\(entry.level) \(entry.message) "
                + entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        // The log is not empty: every layer wrote to it at some level.
        for expected in [
            "performed an operation", "denied an operation", "opened a database", "closed a database",
            "committed a group of writes", "changed the tenant's keys", "failed its integrity check",
            "created a tenant", "deleted a tenant",
        ] {
            #expect(lines.contains { $0.contains(expected) }, "no log line says '\(expected)'")
        }
        #expect(Set(entries.map(\.level)).isSuperset(of: [.trace, .debug, .info, .warning]))

        let masterKey = try Array(Data(contentsOf: URL(filePath: fixture.keyFile)))
        var secrets = fields.map(marker) + [alice.id.rawValue, bob.id.rawValue]
        secrets.append(Data(masterKey).base64EncodedString())
        secrets.append(masterKey.map { String(format: "%02x", $0) }.joined())
        let scanner = MarkerScanner(markers: secrets)
        #expect(scanner.scan(["log": Array(lines.joined(separator: "\n").utf8)]) == [])
        #expect(scanner.scan(["errors": Array(errors.joined(separator: "\n").utf8)]) == [])
        #expect(errors.count == 7)
        // Positive control: the scanner finds what it looks for.
        #expect(scanner.scan(["control": Array("x \(alice.id.rawValue) \(marker("content"))".utf8)]).count == 2)
    }
}
