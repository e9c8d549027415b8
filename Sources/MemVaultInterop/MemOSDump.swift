public import Foundation
public import MemVault

/// MemOS's cube dump (`GeneralMemCube.dump`, MemOS v2): `config.json` and `textual_memory.json`, in the
/// `general_text` layout (a list of Qdrant points `{id, vector, payload: {id, memory, metadata}}`) or the
/// `tree_text` layout (a graph `{nodes: [{id, memory, metadata}], edges, total_nodes, total_edges}`).
///
/// Fields map onto MemVault's (docs/portability.md); every field MemVault has no place for is kept as JSON text in
/// the memory's attributes under `memos.<field>`, and the originals of mapped fields that would not come back
/// exactly (source kinds, status, confidence scale, memory_time) likewise, so a dump read and written again carries
/// the same memories and fields. `activation_memory.pickle` and other binary files are never read: a pickle
/// executes code when loaded.
public enum MemOSDump {
    /// What a dump held, as cubes to import (one per MemOS user id), and what was left out and why.
    public struct Reading: Sendable {
        public var cubes: [PortableCube]
        public var skipped: [String]
    }

    static let attributePrefix = "memos."
    /// Attributes that hold the original of a mapped field.
    static let originalID = "memos.id"

    // MARK: - Reading

    /// A dump folder's two JSON documents, parsed, and the files in it that are not read (with why).
    public struct Documents: Sendable {
        public var config: JSONValue?
        public var textual: JSONValue
        public var skipped: [String]
    }

    /// Reads the dump folder. `category` is the MemVault category the memories get (the destination policy's
    /// decision); `subject` names the owner when the dump names none.
    public static func read(folder: URL, category: String, subject: String?, maximumBytes: Int) throws -> Reading {
        let documents = try documents(in: folder, maximumBytes: maximumBytes)
        var reading = try read(
            config: documents.config, textual: documents.textual, category: category, subject: subject)
        reading.skipped += documents.skipped
        return reading
    }

    /// The dump folder's `config.json` (optional) and `textual_memory.json`, each at most `maximumBytes`; every other
    /// file is listed as skipped, never opened.
    public static func documents(in folder: URL, maximumBytes: Int) throws -> Documents {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard files.contains("textual_memory.json") else {
            throw InteropError("\(folder.path) has no textual_memory.json: not a MemOS cube dump")
        }
        let config =
            try files.contains("config.json")
            ? ForeignFile.json(folder.appending(path: "config.json"), maximumBytes: maximumBytes, what: "config.json")
            : nil
        let textual = try ForeignFile.json(
            folder.appending(path: "textual_memory.json"), maximumBytes: maximumBytes, what: "textual_memory.json")
        let skipped = files.sorted().filter { !["config.json", "textual_memory.json", "README.md"].contains($0) }.map {
            $0.hasSuffix(".pickle")
                ? "\($0): a Python pickle (activation memory); never unpickled, since loading one runs code"
                : "\($0): not textual memory; not imported"
        }
        return Documents(config: config, textual: textual, skipped: skipped)
    }

    /// Reads a dump's two JSON documents, already parsed (as the HTTP API receives them).
    public static func read(config: JSONValue?, textual: JSONValue, category: String, subject: String?) throws
        -> Reading
    {
        var skipped: [String] = []
        var configUser: String?
        var cubeID: String?
        var dimension: Int?
        if let config {
            guard let object = config.object else { throw InteropError("config.json is not a JSON object") }
            configUser = object["user_id"]?.string
            cubeID = object["cube_id"]?.string
            let vectorConfig = object["text_mem"]?.object?["config"]?.object?["vector_db"]?.object?["config"]?.object
            dimension = vectorConfig?["vector_dimension"]?.number.map { Int($0) }
        }
        let layout: String
        var items: [(id: String, memory: String, metadata: [String: JSONValue], vector: [Float]?)] = []
        if let points = textual.array {
            layout = "general_text"
            for (index, point) in points.enumerated() {
                guard let object = point.object, let payload = object["payload"]?.object else {
                    throw InteropError("textual_memory.json: point \(index + 1) has no payload")
                }
                let item = try memoryItem(payload, index: index)
                let vector = try object["vector"].map { try floats($0, "point \(index + 1)'s vector") }
                items.append((item.id, item.memory, item.metadata, vector))
            }
        } else if let graph = textual.object, let nodes = graph["nodes"]?.array {
            layout = "tree_text"
            if let edges = graph["edges"]?.array, !edges.isEmpty {
                skipped.append("\(edges.count) graph edges: MemVault keeps memories, not the graph between them")
            }
            for (index, node) in nodes.enumerated() {
                guard let object = node.object else {
                    throw InteropError("textual_memory.json: node \(index + 1) is not an object")
                }
                var item = try memoryItem(object, index: index)
                let vector = try item.metadata.removeValue(forKey: "embedding").map {
                    try floats($0, "node \(index + 1)'s embedding")
                }
                items.append((item.id, item.memory, item.metadata, vector))
            }
        } else {
            throw InteropError("textual_memory.json is neither a general_text list nor a tree_text graph")
        }
        let cubeDimension = dimension ?? items.compactMap(\.vector?.count).first
        var cubes: [String: PortableCube] = [:]
        var order: [String] = []
        for item in items {
            guard let owner = item.metadata["user_id"]?.string ?? configUser ?? subject else {
                throw InteropError("memory \(item.id) names no user_id and the dump no owner; give --subject")
            }
            var memory = try portableMemory(item.id, item.memory, item.metadata, category: category)
            if let vector = item.vector {
                if vector.count == cubeDimension {
                    memory.embedding = vector
                } else {
                    skipped.append("memory \(item.id): an embedding of \(vector.count) dimensions, not the cube's")
                }
            }
            if cubes[owner] == nil {
                order.append(owner)
                cubes[owner] = PortableCube(
                    name: cubeID ?? "memos-import", kind: "memos", defaultCategory: category,
                    provenance: Provenance(
                        origin: "memos:\(layout)", importedFrom: cubeID.map { "memos:\($0)" } ?? "memos"),
                    analysis: .standard, embeddingDimension: cubeDimension, embedder: nil, createdAt: Date(),
                    subjectExternalID: owner, memories: [])
            }
            cubes[owner]!.memories.append(memory)
        }
        return Reading(cubes: order.map { cubes[$0]! }, skipped: skipped)
    }

    private static func memoryItem(
        _ object: [String: JSONValue], index: Int
    ) throws -> (id: String, memory: String, metadata: [String: JSONValue]) {
        guard let id = object["id"]?.string, !id.isEmpty else {
            throw InteropError("textual_memory.json: memory \(index + 1) has no id")
        }
        guard let memory = object["memory"]?.string else {
            throw InteropError("textual_memory.json: memory \(id) has no text")
        }
        return (id, memory, object["metadata"]?.object ?? [:])
    }

    private static func portableMemory(
        _ id: String, _ text: String, _ metadata: [String: JSONValue], category: String
    ) throws -> PortableMemory {
        var metadata = metadata
        var attributes: [String: String] = [originalID: id]
        let created =
            try ForeignFile.time(metadata["created_at"]) ?? ForeignFile.time(metadata["updated_at"])
            ?? Date(timeIntervalSince1970: 0)
        let updated = try ForeignFile.time(metadata["updated_at"]) ?? created
        metadata.removeValue(forKey: "created_at")
        metadata.removeValue(forKey: "updated_at")
        let type: MemoryType =
            switch metadata["memory_type"]?.string {
            case "WorkingMemory": .working
            case "UserMemory": .profile
            case "PreferenceMemory": .preference
            default: .longTerm
            }
        var confidence: Double?
        if let value = metadata["confidence"]?.number {
            // MemOS writes 0-100 in general_text and 0-1 in tree_text; MemVault keeps 0-1 and the original.
            confidence = value > 1 ? value / 100 : value
            if value > 1 { attributes["memos.confidence"] = JSONValue.number(value).text }
            metadata.removeValue(forKey: "confidence")
        }
        let status: MemoryStatus = metadata["status"]?.string == "archived" ? .archived : .active
        var occurred: Date?
        if let memoryTime = metadata["memory_time"]?.string {
            occurred = ISO8601Milliseconds.parse(memoryTime) ?? ISO8601Milliseconds.parse(memoryTime + "T00:00:00Z")
        }
        let source: SourceKind =
            switch metadata["source"]?.string {
            case "conversation": .conversation
            case "file", "web": .document
            case "retrieved", "system": .tool
            default: .import
            }
        let tags = metadata.removeValue(forKey: "tags")?.array?.compactMap(\.string) ?? []
        // Everything else, mapped or not, is kept exactly: status, memory_time and source included.
        for (key, value) in metadata { attributes[attributePrefix + key] = value.text }
        return PortableMemory(
            id: id,
            versions: [
                PortableVersion(
                    version: 1, status: status, type: type, category: category, source: source, content: .text(text),
                    tags: tags, confidence: confidence, occurredAt: occurred, attributes: attributes,
                    createdAt: created, updatedAt: max(updated, created))
            ])
    }

    // MARK: - Writing

    /// The dump files for a cube (see `documents(for:)`).
    public static func files(for cube: PortableCube) throws -> [String: [UInt8]] {
        let documents = try documents(for: cube)
        return try files(config: documents.config, textual: documents.textual)
    }

    /// The dump's two files, as MemOS writes them, from their documents.
    public static func files(config: JSONValue, textual: JSONValue) throws -> [String: [UInt8]] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [
            "config.json": Array(try encoder.encode(config)),
            "textual_memory.json": Array(try encoder.encode(textual)),
        ]
    }

    /// The dump's two documents for a cube, in the layout it came in (its provenance says), else `general_text`.
    public static func documents(for cube: PortableCube) throws -> (config: JSONValue, textual: JSONValue) {
        let tree = cube.provenance.origin == "memos:tree_text"
        var items: [JSONValue] = []
        for memory in cube.memories {
            guard let current = memory.versions.last else { continue }
            var metadata: [String: JSONValue] = [:]
            for (key, value) in current.attributes where key.hasPrefix(attributePrefix) && key != originalID {
                metadata[String(key.dropFirst(attributePrefix.count))] = (try? JSONValue(text: value)) ?? .string(value)
            }
            metadata["tags"] = .array(current.tags.map(JSONValue.string))
            if metadata["confidence"] == nil, let confidence = current.confidence {
                metadata["confidence"] = .number(confidence)
            }
            metadata["created_at"] = .string(ISO8601Milliseconds.format(current.createdAt))
            metadata["updated_at"] = .string(ISO8601Milliseconds.format(current.updatedAt))
            if metadata["status"] == nil {
                metadata["status"] = .string(current.status == .archived ? "archived" : "activated")
            }
            if metadata["memory_type"] == nil, tree {
                let name: String =
                    switch current.type {
                    case .working: "WorkingMemory"
                    case .profile: "UserMemory"
                    case .preference: "PreferenceMemory"
                    default: "LongTermMemory"
                    }
                metadata["memory_type"] = .string(name)
            }
            // Other MemVault fields, kept under names MemOS allows as extras.
            if let detail = current.sourceDetail { metadata["memvault_source_detail"] = .string(detail) }
            for (key, value) in current.attributes where !key.hasPrefix(attributePrefix) {
                metadata["memvault_attribute_\(key)"] = .string(value)
            }
            let id = current.attributes[originalID] ?? memory.id
            let text: String =
                switch current.content {
                case .text(let text): text
                case .binary:
                    throw InteropError("memory \(memory.id) holds binary content; MemOS textual memory cannot")
                }
            let vector = memory.embedding.map { JSONValue.array($0.map { .number(Double($0)) }) }
            if tree {
                if let vector { metadata["embedding"] = vector }
                items.append(.object(["id": .string(id), "memory": .string(text), "metadata": .object(metadata)]))
            } else {
                var point: [String: JSONValue] = [
                    "id": .string(id),
                    "payload": .object(["id": .string(id), "memory": .string(text), "metadata": .object(metadata)]),
                ]
                point["vector"] = vector ?? .array([])
                items.append(.object(point))
            }
        }
        let textual: JSONValue =
            tree
            ? .object([
                "nodes": .array(items), "edges": .array([]), "total_nodes": .number(Double(items.count)),
                "total_edges": .number(0),
            ])
            : .array(items)
        let cubeID =
            cube.provenance.importedFrom.flatMap { $0.hasPrefix("memos:") ? String($0.dropFirst(6)) : nil } ?? cube.name
        var textMemoryConfig: [String: JSONValue] = [
            "cube_id": .string(cubeID), "memory_filename": .string("textual_memory.json"),
        ]
        if let dimension = cube.embeddingDimension {
            textMemoryConfig["vector_db"] = .object([
                "backend": .string("qdrant"),
                "config": .object([
                    "collection_name": .string(cubeID), "vector_dimension": .number(Double(dimension)),
                    "distance_metric": .string("cosine"),
                ]),
            ])
        }
        let config: JSONValue = .object([
            "model_schema": .string("memos.configs.mem_cube.GeneralMemCubeConfig"),
            "user_id": cube.subjectExternalID.map(JSONValue.string) ?? .null, "cube_id": .string(cubeID),
            "config_filename": .string("config.json"),
            "text_mem": .object([
                "backend": .string(tree ? "tree_text" : "general_text"), "config": .object(textMemoryConfig),
            ]),
        ])
        return (config, textual)
    }

    // MARK: - Helpers

    private static func floats(_ value: JSONValue, _ what: String) throws -> [Float] {
        guard let array = value.array else { throw InteropError("\(what) is not a list of numbers") }
        return try array.map {
            guard let number = $0.number, number.isFinite else { throw InteropError("\(what) holds a non-number") }
            return Float(number)
        }
    }
}
