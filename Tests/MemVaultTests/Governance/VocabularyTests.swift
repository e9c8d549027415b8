import MemVault
import MemVaultPolicy
import Testing

@Suite("Shared vocabulary")
struct VocabularyTests {
    @Test("the policy language names exactly the store's memory types and source kinds")
    func inStep() {
        #expect(Set(MemoryType.allCases.map(\.rawValue)) == StoreVocabulary.memoryTypes)
        #expect(Set(SourceKind.allCases.map(\.rawValue)) == StoreVocabulary.sources)
    }
}
