import Foundation
import MemVault

/// Human-readable rendering of memories for text output.
enum MemoryText {
    static func render(_ memory: Memory) -> String {
        var lines = [
            "\(memory.id)  v\(memory.version)\(memory.supersedes.map { " (supersedes v\($0))" } ?? "")  "
                + "\(memory.status.rawValue)  \(memory.type.rawValue)  category \(memory.category)",
            "  cube \(memory.cube)  \(memory.subject.map { "subject \($0)" } ?? "shared")  source \(memory.source.rawValue)"
                + (memory.sourceDetail.map { " (\($0))" } ?? ""),
        ]
        if !memory.tags.isEmpty { lines.append("  tags: " + memory.tags.joined(separator: ", ")) }
        if !memory.attributes.isEmpty {
            lines.append(
                "  attributes: "
                    + memory.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: ", "))
        }
        var times = [
            "created \(Timestamps.format(memory.createdAt))", "updated \(Timestamps.format(memory.updatedAt))",
        ]
        if let occurred = memory.occurredAt { times.insert("occurred \(Timestamps.format(occurred))", at: 0) }
        lines.append("  " + times.joined(separator: "  "))
        if let confidence = memory.confidence { lines.append("  confidence \(confidence)") }
        switch memory.content {
        case .text(let text): lines.append("  " + text.replacingOccurrences(of: "\n", with: "\n  "))
        case .binary(let bytes, let mediaType): lines.append("  <\(bytes.count) bytes of \(mediaType)>")
        }
        return lines.joined(separator: "\n")
    }

    static func render(_ memories: [Memory], cursor: String? = nil) -> String {
        var blocks = memories.map(render)
        if blocks.isEmpty { blocks.append("No memories.") }
        if let cursor { blocks.append("more: --after \(cursor)") }
        return blocks.joined(separator: "\n\n")
    }
}
