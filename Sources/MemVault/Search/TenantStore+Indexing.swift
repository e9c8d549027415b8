/// Keeping the search index in step with the memories: entries are built from the plaintext before it is sealed
/// away (or right after it was opened), blind under the owner's index key, and written in the same unit of work.
extension TenantStore {
    func indexedDocuments(
        _ records: [MemoryRecord], _ payloads: [MemoryPayload], in cube: CubeContext
    ) throws -> [IndexedDocument] {
        guard cube.analysis.indexed,
            let key = try keys.blindIndexKey(tenant, owner: cube.owner, createIfMissing: true)
        else { return [] }
        let analyzer = TextAnalyzer(cube.analysis)
        var words: [String: String?] = [:]
        var labels: [String: String] = [:]
        return try zip(records, payloads).map { record, payload in
            try IndexedDocument(
                memory: record.id, payload: payload, occurredAt: record.fields.occurredAt, analyzer: analyzer, key: key,
                words: &words, labels: &labels)
        }
    }
}
