public import MCP

/// The tools an agent sees, each with a JSON schema and a description written for a model. Every tool acts on the
/// session's subject only; ids from other subjects or tenants answer as unknown.
public enum MemoryTools {
    public static let all: [Tool] = [remember, recall, get, list, update, forget, consentStatus]

    static let memoryTypes: [Value] = [
        "working", "long-term", "profile", "preference", "episodic",
    ]

    static let remember = Tool(
        name: "remember",
        description: """
            Store one memory about the user you are assisting: a single self-contained fact, preference or event, \
            written so it makes sense on its own later ("Prefers green tea without sugar", not "yes, that one"). \
            Returns the stored memory with its id. The memory is encrypted and governed by the user's consent and \
            the tenant's policy; a refusal says which rule refused it.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "content": .object(["type": "string", "description": "The memory, in one or a few sentences."]),
                "type": .object([
                    "type": "string", "enum": .array(memoryTypes),
                    "description":
                        "What kind of memory: preference, profile, episodic (an event), long-term (default) or working.",
                ]),
                "category": .object([
                    "type": "string",
                    "description": "The tenant policy's category (e.g. preferences); default: the cube's.",
                ]),
                "tags": .object([
                    "type": "array", "items": .object(["type": "string"]),
                    "description": "Short labels for later filtering.",
                ]),
                "occurredAt": .object([
                    "type": "string", "format": "date-time",
                    "description": "When the remembered event happened (ISO 8601), if it is an event.",
                ]),
                "cube": .object([
                    "type": "string",
                    "description": "The cube to store it in (cube_…); default: the user's memory cube.",
                ]),
            ]),
            "required": .array(["content"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Remember", readOnlyHint: false, destructiveHint: false, openWorldHint: false))

    static let recall = Tool(
        name: "recall",
        description: """
            Search the user's memories by meaning and words; returns the best matches with their ids, content, \
            type, category, tags and dates, best first. Use it before answering anything that may depend on what \
            the user told you before. Memories the user's consent or the policy withholds are not returned; the \
            answer says how many were withheld and why.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "query": .object(["type": "string", "description": "What you are looking for, in words."]),
                "limit": .object([
                    "type": "integer", "minimum": 1, "maximum": 50, "description": "How many memories (default 10).",
                ]),
                "types": .object(["type": "array", "items": .object(["type": "string", "enum": .array(memoryTypes)])]),
                "categories": .object(["type": "array", "items": .object(["type": "string"])]),
                "tags": .object([
                    "type": "array", "items": .object(["type": "string"]),
                    "description": "Only memories carrying all of these tags.",
                ]),
                "occurredFrom": .object(["type": "string", "format": "date-time"]),
                "occurredUntil": .object(["type": "string", "format": "date-time"]),
            ]),
            "required": .array(["query"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Recall", readOnlyHint: true, openWorldHint: false))

    static let get = Tool(
        name: "get",
        description: "Read one of the user's memories by its id (mem_…), optionally an earlier version.",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "id": .object(["type": "string", "description": "The memory's id (mem_…)."]),
                "version": .object(["type": "integer", "minimum": 1, "description": "An earlier version."]),
            ]),
            "required": .array(["id"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Get a memory", readOnlyHint: true, openWorldHint: false))

    static let list = Tool(
        name: "list",
        description: """
            List the user's memories, newest first, a page at a time; pass the returned nextCursor as cursor for \
            the next page.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "limit": .object(["type": "integer", "minimum": 1, "maximum": 100, "description": "Page size (20)."]),
                "cursor": .object(["type": "string", "description": "The previous page's nextCursor."]),
                "includeArchived": .object(["type": "boolean", "description": "Also archived memories."]),
            ]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "List memories", readOnlyHint: true, openWorldHint: false))

    static let update = Tool(
        name: "update",
        description: """
            Correct one of the user's memories: new content, type, category or tags. The earlier version is kept \
            in its history. Give only what changes.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "id": .object(["type": "string", "description": "The memory's id (mem_…)."]),
                "content": .object(["type": "string"]),
                "type": .object(["type": "string", "enum": .array(memoryTypes)]),
                "category": .object(["type": "string"]),
                "tags": .object(["type": "array", "items": .object(["type": "string"])]),
                "occurredAt": .object(["type": "string", "format": "date-time"]),
            ]),
            "required": .array(["id"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Update a memory", readOnlyHint: false, destructiveHint: false, openWorldHint: false)
    )

    static let forget = Tool(
        name: "forget",
        description: """
            Delete one of the user's memories for good, with every earlier version, its search index entries and \
            embedding. Use it when the user asks you to forget something.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object(["id": .object(["type": "string", "description": "The memory's id (mem_…)."])]),
            "required": .array(["id"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Forget a memory", readOnlyHint: false, destructiveHint: true, openWorldHint: false))

    static let consentStatus = Tool(
        name: "consent_status",
        description: """
            The user's consent for each purpose the tenant processes memories for (given or withdrawn, and when). \
            Without consent for a purpose, memories are not used for it.
            """,
        inputSchema: .object(["type": "object", "properties": .object([:]), "additionalProperties": false]),
        annotations: .init(title: "Consent status", readOnlyHint: true, openWorldHint: false))
}
