/// What a memory holds: text (MemOS's plaintext memory) or an opaque binary payload with a media type (activation
/// and parametric memory). Always encrypted at rest.
public enum MemoryContent: Sendable, Equatable {
    case text(String)
    case binary(bytes: [UInt8], mediaType: String)

    /// Text from raw bytes, refusing invalid UTF-8 rather than repairing it.
    public static func text(utf8 bytes: [UInt8]) throws -> MemoryContent {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw MemVaultError(
                .invalidArgument, "content is not valid UTF-8 text; store binary content with a media type instead")
        }
        return .text(text)
    }

    var isText: Bool {
        if case .text = self { return true }
        return false
    }

    var kind: ContentKind { isText ? .text : .binary }

    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes, _): bytes.count
        }
    }
}
