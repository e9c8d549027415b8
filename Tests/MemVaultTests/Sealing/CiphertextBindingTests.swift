import MemVaultCrypto
import Testing

@testable import MemVault

@Suite("Ciphertext binding")
struct CiphertextBindingTests {
    static let tenant = try! TenantID("acme")
    static let record = MemoryRecord(
        id: try! MemoryID("mem_01M7Z09XWA2A1WS7RMS1TWVTJT"), cube: try! CubeID("cube_01M7Z09XPGWVDHFHX463NR2G75"),
        subject: nil, version: 2, supersedes: 1,
        fields: MemoryFields(
            status: .active, type: .preference, category: "preferences", source: .conversation, contentKind: .text,
            contentSize: 13, occurredAt: 1_700_000_000_000, validFrom: nil, validUntil: nil,
            createdAt: 1_700_000_000_000, updatedAt: 1_700_000_100_000),
        keyVersion: 1, payload: [])

    /// Every way a ciphertext could be moved, or a clear field beside it edited: another tenant, subject, cube,
    /// memory, version, place in the history, key version, or any clear field of the memory.
    enum Relocation: String, CaseIterable, Sendable {
        case tenant, subject, sharedCube, cube, memory, version, placement, supersedes, keyVersion
        case status, type, category, source, contentKind, contentSize, occurredAt, validFrom, validUntil
        case createdAt, updatedAt

        func apply(
            _ record: MemoryRecord
        ) throws -> (tenant: TenantID, pseudonym: String?, record: MemoryRecord, current: Bool) {
            var record = record
            var tenant = CiphertextBindingTests.tenant
            var pseudonym: String? = "psn_1"
            var current = true
            switch self {
            case .tenant: tenant = try TenantID("globex")
            case .subject: pseudonym = "psn_2"
            case .sharedCube: pseudonym = nil
            case .cube:
                record = MemoryRecord(
                    id: record.id, cube: try CubeID("cube_01M7Z09XPGWVDHFHX463NR2G76"), subject: record.subject,
                    version: record.version, supersedes: record.supersedes, fields: record.fields,
                    keyVersion: record.keyVersion, payload: record.payload)
            case .memory:
                record = MemoryRecord(
                    id: try MemoryID("mem_01M7Z09XWA2A1WS7RMS1TWVTJV"), cube: record.cube, subject: record.subject,
                    version: record.version, supersedes: record.supersedes, fields: record.fields,
                    keyVersion: record.keyVersion, payload: record.payload)
            case .version: record.version = 1
            case .placement: current = false
            case .supersedes: record.supersedes = nil
            case .keyVersion: record.keyVersion = 2
            case .status: record.fields.status = .archived
            case .type: record.fields.type = .episodic
            case .category: record.fields.category = "health"
            case .source: record.fields.source = .document
            case .contentKind: record.fields.contentKind = .binary
            case .contentSize: record.fields.contentSize = 14
            case .occurredAt: record.fields.occurredAt = nil
            case .validFrom: record.fields.validFrom = 1
            case .validUntil: record.fields.validUntil = 1
            case .createdAt: record.fields.createdAt += 1
            case .updatedAt: record.fields.updatedAt += 1
            }
            return (tenant, pseudonym, record, current)
        }
    }

    @Test(
        "a ciphertext opens only where it was sealed, with the clear fields it was sealed with",
        arguments: Relocation.allCases)
    func relocatedCiphertextFails(relocation: Relocation) throws {
        let original = Bindings.memory(Self.tenant, pseudonym: "psn_1", Self.record, current: true)
        let key = try EnvelopeKey(keyID: "subject:x", version: 1, dataKey: SymmetricKey.random())
        let plaintext = Array("remember this".utf8)
        let envelope = try Envelope.seal(plaintext, with: key, associatedData: original)
        #expect(try envelope.open(with: key, associatedData: original) == plaintext)
        let moved = try relocation.apply(Self.record)
        let elsewhere = Bindings.memory(moved.tenant, pseudonym: moved.pseudonym, moved.record, current: moved.current)
        #expect(elsewhere != original)
        #expect(throws: CryptoError.authenticationFailure) {
            try envelope.open(with: key, associatedData: elsewhere)
        }
    }

    @Test("length prefixes keep field boundaries unambiguous")
    func unambiguousEncoding() {
        let first = BindingContext(domain: "d").with("a", "bc").with("d", "e")
        let second = BindingContext(domain: "d").with("a", "b").with("cd", "e")
        #expect(first.bytes != second.bytes)
    }
}
