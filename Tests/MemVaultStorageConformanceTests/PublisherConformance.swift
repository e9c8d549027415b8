import MemVault
import Testing

@Suite("Storage conformance: trusted publishers")
struct PublisherConformance {
    @Test(
        "trusted publishers are stored by key, replaced on revocation, kept per tenant, and undone with their unit",
        arguments: BackendUnderTest.all)
    func publishers(_ backend: BackendUnderTest) async throws {
        let harness = try await Harness.make(backend)
        let acme = try await harness.tenant("acme")
        let globex = try await harness.tenant("globex")
        @Sendable func record(_ key: String, revoked: Bool = false) -> TrustedPublisherRecord {
            TrustedPublisherRecord(
                key: key, name: "publisher \(key.prefix(4))", trustedBy: "conformance", trustedAt: Records.now,
                revokedAt: revoked ? Records.now + 1 : nil, seal: Records.bytes(32))
        }
        let first = record(String(repeating: "b", count: 64))
        let second = record(String(repeating: "a", count: 64))
        try await acme.unitOfWork { try $0.saveTrustedPublisher(first) }
        try await acme.unitOfWork { try $0.saveTrustedPublisher(second) }
        #expect(try await acme.read { try $0.trustedPublishers() } == [second, first])
        #expect(try await globex.read { try $0.trustedPublishers() }.isEmpty)
        let revoked = record(first.key, revoked: true)
        try await acme.unitOfWork { try $0.saveTrustedPublisher(revoked) }
        #expect(try await acme.read { try $0.trustedPublishers() } == [second, revoked])
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await acme.unitOfWork { transaction in
                try transaction.saveTrustedPublisher(record(String(repeating: "c", count: 64)))
                throw Abort()
            }
        }
        #expect(try await acme.read { try $0.trustedPublishers() }.count == 2)
        try await harness.close()
    }
}
