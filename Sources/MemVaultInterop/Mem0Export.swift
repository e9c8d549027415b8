public import Foundation
public import MemVault

/// mem0's memories as its `get_all` returns them (`{"results": [{id, memory, hash, metadata, created_at,
/// updated_at, user_id, agent_id, run_id, role, categories, …}]}`), with, optionally, the `history` of each memory
/// (entries `{id, memory_id, old_memory, new_memory, event: ADD | UPDATE | DELETE, created_at, updated_at,
/// is_deleted, actor_id, role}`), as a list or keyed by memory id.
///
/// One cube per `user_id` (one subject each); a memory's history becomes its versions (each ADD or UPDATE's
/// `new_memory`, oldest first, ending with the current text); `categories` become tags; every other field is kept
/// as JSON text in the attribute `mem0.<field>`, the mem0 id in `mem0.id`.
public enum Mem0Export {
    public static func read(
        memories url: URL, history historyURL: URL?, category: String, subject: String?, maximumBytes: Int
    ) throws -> [PortableCube] {
        let documents = try documents(memories: url, history: historyURL, maximumBytes: maximumBytes)
        return try read(memories: documents.memories, history: documents.history, category: category, subject: subject)
    }

    /// The export's files parsed, each at most `maximumBytes`.
    public static func documents(
        memories url: URL, history historyURL: URL?, maximumBytes: Int
    ) throws -> (memories: JSONValue, history: JSONValue?) {
        let root = try ForeignFile.json(url, maximumBytes: maximumBytes, what: url.lastPathComponent)
        let history = try historyURL.map {
            try ForeignFile.json($0, maximumBytes: maximumBytes, what: $0.lastPathComponent)
        }
        return (root, history)
    }

    /// Reads `get_all`'s answer and the history, already parsed (as the HTTP API receives them).
    public static func read(
        memories root: JSONValue, history: JSONValue?, category: String, subject: String?
    ) throws -> [PortableCube] {
        // `get_all` answers {"results": [...]} (v1.1); older versions answered the list itself.
        guard let results = root.object?["results"]?.array ?? root.array else {
            throw InteropError("the memories are not mem0's get_all output: no \"results\" list")
        }
        let histories = try history.map { try readHistories($0) } ?? [:]
        var cubes: [String: PortableCube] = [:]
        var order: [String] = []
        for (index, result) in results.enumerated() {
            guard var fields = result.object else { throw InteropError("result \(index + 1) is not an object") }
            guard let id = fields.removeValue(forKey: "id")?.string, !id.isEmpty else {
                throw InteropError("result \(index + 1) has no id")
            }
            guard let text = fields.removeValue(forKey: "memory")?.string else {
                throw InteropError("memory \(id) has no text")
            }
            guard let owner = fields["user_id"]?.string ?? subject else {
                throw InteropError("memory \(id) names no user_id; give --external-id")
            }
            fields.removeValue(forKey: "user_id")
            let created =
                try ForeignFile.time(fields.removeValue(forKey: "created_at")) ?? Date(timeIntervalSince1970: 0)
            let updated = try ForeignFile.time(fields.removeValue(forKey: "updated_at")) ?? created
            let tags = fields.removeValue(forKey: "categories")?.array?.compactMap(\.string) ?? []
            var attributes = ["mem0.id": id]
            for (key, value) in fields where value != .null { attributes["mem0." + key] = value.text }
            var versions: [PortableVersion] = []
            for entry in histories[id] ?? [] where entry.event != "DELETE" {
                guard let earlier = entry.text, earlier != versions.last.flatMap(Self.text) else { continue }
                versions.append(
                    PortableVersion(
                        version: versions.count + 1, category: category, content: .text(earlier), tags: tags,
                        attributes: attributes, createdAt: created, updatedAt: max(entry.time ?? created, created)))
            }
            if versions.last.flatMap(Self.text) != text {
                versions.append(
                    PortableVersion(
                        version: versions.count + 1, category: category, content: .text(text), tags: tags,
                        attributes: attributes, createdAt: created, updatedAt: max(updated, created)))
            } else {
                versions[versions.count - 1].updatedAt = max(updated, created)
            }
            // Versions stored later than their successors would read as a history out of order: keep them ordered.
            for index in versions.indices.dropFirst() where versions[index].updatedAt < versions[index - 1].updatedAt {
                versions[index].updatedAt = versions[index - 1].updatedAt
            }
            if cubes[owner] == nil {
                order.append(owner)
                cubes[owner] = PortableCube(
                    name: "mem0", kind: "mem0", defaultCategory: category,
                    provenance: Provenance(origin: "mem0", importedFrom: "mem0"), createdAt: created,
                    subjectExternalID: owner, memories: [])
            }
            cubes[owner]!.memories.append(PortableMemory(id: id, versions: versions))
        }
        return order.map { cubes[$0]! }
    }

    private static func text(_ version: PortableVersion) -> String? {
        if case .text(let text) = version.content { text } else { nil }
    }

    struct HistoryEntry {
        let event: String
        let text: String?
        let time: Date?
    }

    private static func readHistories(_ root: JSONValue) throws -> [String: [HistoryEntry]] {
        let entries: [JSONValue]
        if let list = root.array {
            entries = list
        } else if let keyed = root.object {
            entries = keyed.keys.sorted().flatMap { keyed[$0]?.array ?? [] }
        } else {
            throw InteropError("the history is not mem0's: a list of entries, or entries per memory id")
        }
        var histories: [String: [(Date, HistoryEntry)]] = [:]
        for (index, entry) in entries.enumerated() {
            guard let fields = entry.object, let memory = fields["memory_id"]?.string,
                let event = fields["event"]?.string, ["ADD", "UPDATE", "DELETE", "NONE"].contains(event)
            else {
                throw InteropError(
                    "history entry \(index + 1) is not a mem0 history entry (memory_id and an ADD, UPDATE or DELETE event)"
                )
            }
            let time = try ForeignFile.time(fields["updated_at"]) ?? ForeignFile.time(fields["created_at"])
            histories[memory, default: []].append(
                (time ?? .distantPast, HistoryEntry(event: event, text: fields["new_memory"]?.string, time: time)))
        }
        // Oldest first; entries of the same time keep the file's order.
        return histories.mapValues {
            $0.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
        }
    }
}
