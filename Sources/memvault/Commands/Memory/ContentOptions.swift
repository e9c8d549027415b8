import ArgumentParser
import Foundation
import MemVault

/// Where a memory's content comes from: an argument, a file, or standard input; text unless a media type is given.
struct ContentOptions: ParsableArguments {
    @Option(help: "The content as text.") var text: String?
    @Option(help: "Read the content from this file.") var file: String?
    @Flag(help: "Read the content from standard input.") var stdin = false
    @Option(
        name: .customLong("media-type"),
        help: "Store the content as binary with this media type (e.g. application/x-kv-cache) instead of text.")
    var mediaType: String?

    func validate() throws {
        guard [text != nil, file != nil, stdin].filter({ $0 }).count <= 1 else {
            throw ValidationError("give the content once: --text, --file or --stdin")
        }
        if text != nil, mediaType != nil {
            throw ValidationError("--text is text; binary content needs --file or --stdin")
        }
    }

    var isGiven: Bool { text != nil || file != nil || stdin }

    /// The content, or nil if none of the three was given.
    func content() throws -> MemoryContent? {
        if let text { return .text(text) }
        let bytes: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read --file \(file)")
            }
            bytes = Array(data)
        } else if stdin {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            return nil
        }
        if let mediaType { return .binary(bytes: bytes, mediaType: mediaType) }
        return try .text(utf8: bytes)
    }
}

/// The metadata options shared by `add` and `update`.
struct MemoryMetadataOptions: ParsableArguments {
    @Option(help: "The memory type: \(MemoryType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: MemoryType?
    @Option(help: "The policy category (default: the cube's).") var category: String?
    @Option(name: .customLong("tag"), help: "A tag (repeatable; encrypted).") var tags: [String] = []
    @Option(help: "The source: \(SourceKind.allCases.map(\.rawValue).joined(separator: ", ")).") var source: SourceKind?
    @Option(name: .customLong("source-detail"), help: "Details of the source (encrypted).") var sourceDetail: String?
    @Option(help: "Confidence between 0 and 1.") var confidence: Double?
    @Option(name: .customLong("occurred-at"), help: "When the remembered thing happened (ISO 8601).")
    var occurredAt: String?
    @Option(name: .customLong("valid-from"), help: "Start of validity (ISO 8601).") var validFrom: String?
    @Option(name: .customLong("valid-until"), help: "End of validity (ISO 8601).") var validUntil: String?
    @Option(name: .customLong("attribute"), help: "A free-form attribute key=value (repeatable; encrypted).")
    var attributes: [String] = []
    @Option(
        help: ArgumentHelp(
            "A file holding the content's embedding as a JSON array of numbers, of the cube's dimension (encrypted).",
            valueName: "file"))
    var embedding: String?

    func parsedAttributes() throws -> [String: String]? {
        guard !attributes.isEmpty else { return nil }
        var result: [String: String] = [:]
        for pair in attributes {
            guard let equals = pair.firstIndex(of: "=") else {
                // The value would be sealed: never echoed.
                throw ValidationError("--attribute takes key=value (an attribute without '=' was given)")
            }
            result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return result
    }

    func date(_ value: String?, _ option: String) throws -> Date? {
        try value.map { try Timestamps.parse($0, option: option) }
    }

    func newMemory(_ content: MemoryContent) throws -> NewMemory {
        NewMemory(
            content: content, type: type ?? (content.isBinary ? .activation : .longTerm), category: category,
            tags: tags, source: source ?? .conversation, sourceDetail: sourceDetail, confidence: confidence,
            occurredAt: try date(occurredAt, "--occurred-at"), validFrom: try date(validFrom, "--valid-from"),
            validUntil: try date(validUntil, "--valid-until"), attributes: try parsedAttributes() ?? [:],
            embedding: try embedding.map { try VectorFile.read($0, option: "--embedding") })
    }

    func changes(_ content: MemoryContent?) throws -> MemoryChanges {
        MemoryChanges(
            content: content, type: type, category: category, tags: tags.isEmpty ? nil : tags, source: source,
            sourceDetail: sourceDetail, confidence: confidence, occurredAt: try date(occurredAt, "--occurred-at"),
            validFrom: try date(validFrom, "--valid-from"), validUntil: try date(validUntil, "--valid-until"),
            attributes: try parsedAttributes(),
            embedding: try embedding.map { try VectorFile.read($0, option: "--embedding") })
    }
}

extension MemoryContent {
    var isBinary: Bool {
        if case .binary = self { return true }
        return false
    }
}
