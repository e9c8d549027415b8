import Foundation
import MemVault

/// A memory as the API's generated type, built field by field: the routes that answer with memories are the hot
/// ones, and this skips the JSON round trip of `JSONBridge` (a test checks the two agree for every kind of memory).
extension Components.Schemas.Memory {
    init(_ memory: Memory) throws {
        self.init(
            id: memory.id.rawValue, cube: memory.cube.rawValue, subject: memory.subject?.rawValue,
            version: memory.version, supersedes: memory.supersedes,
            status: try converted(memory.status), _type: try converted(memory.type), category: memory.category,
            content: Components.Schemas.Content(memory.content), tags: memory.tags,
            source: try converted(memory.source),
            sourceDetail: memory.sourceDetail,
            confidence: memory.confidence, occurredAt: memory.occurredAt, validFrom: memory.validFrom,
            validUntil: memory.validUntil, attributes: .init(additionalProperties: memory.attributes),
            createdAt: memory.createdAt, updatedAt: memory.updatedAt)
    }
}

extension Components.Schemas.Content {
    init(_ content: MemoryContent) {
        switch content {
        case .text(let text): self.init(kind: .text, text: text)
        case .binary(let bytes, let mediaType):
            self.init(kind: .binary, mediaType: mediaType, base64: Data(bytes).base64EncodedString())
        }
    }
}

/// A library enumeration as the generated one with the same raw values (the document lists the same cases; a case
/// it lacks is the server's fault, never the caller's).
private func converted<Output: RawRepresentable<String>>(_ value: some RawRepresentable<String>) throws -> Output {
    guard let output = Output(rawValue: value.rawValue) else {
        throw MemVaultError(.internalError, "'\(value.rawValue)' is not in the API document")
    }
    return output
}
