import MemVault
import MemVaultCrypto
import Testing

@Suite("Ciphertext binding")
struct CiphertextBindingTests {
    /// Every way a ciphertext could be moved: another tenant, subject, cube, memory, field or key version.
    enum Relocation: String, CaseIterable, Sendable {
        case tenant, subject, sharedCube, cube, memory, field, keyVersion

        func apply(to binding: CiphertextBinding) throws -> CiphertextBinding {
            CiphertextBinding(
                tenant: self == .tenant ? try TenantID("globex") : binding.tenant,
                subjectPseudonym: self == .subject ? "p-2" : self == .sharedCube ? nil : binding.subjectPseudonym,
                cube: self == .cube ? "cube-2" : binding.cube,
                memory: self == .memory ? "mem-2" : binding.memory,
                field: self == .field ? "tags" : binding.field,
                keyVersion: self == .keyVersion ? 2 : binding.keyVersion)
        }
    }

    @Test("a ciphertext opens only where it was sealed", arguments: Relocation.allCases)
    func relocatedCiphertextFails(relocation: Relocation) throws {
        let original = CiphertextBinding(
            tenant: try TenantID("acme"), subjectPseudonym: "p-1", cube: "cube-1", memory: "mem-1", field: "content",
            keyVersion: 1)
        let key = try EnvelopeKey(keyID: "subject:x", version: 1, dataKey: SymmetricKey.random())
        let plaintext = Array("remember this".utf8)
        let envelope = try Envelope.seal(plaintext, with: key, associatedData: original.associatedData)
        #expect(try envelope.open(with: key, associatedData: original.associatedData) == plaintext)
        let elsewhere = try relocation.apply(to: original)
        #expect(elsewhere.associatedData != original.associatedData)
        #expect(throws: CryptoError.authenticationFailure) {
            try envelope.open(with: key, associatedData: elsewhere.associatedData)
        }
    }

    @Test("length prefixes keep field boundaries unambiguous")
    func unambiguousEncoding() {
        let first = BindingContext(domain: "d").with("a", "bc").with("d", "e")
        let second = BindingContext(domain: "d").with("a", "b").with("cd", "e")
        #expect(first.bytes != second.bytes)
    }
}
