/// A tenant's quotas, set by an installation administrator: how many memories and how many bytes of content its
/// current versions may hold, and how many requests per second the server admits for it. Nil: no limit.
public struct TenantQuotas: Sendable, Equatable, Codable {
    public var maximumMemories: Int?
    public var maximumBytes: Int?
    public var requestsPerSecond: Int?

    public init(maximumMemories: Int? = nil, maximumBytes: Int? = nil, requestsPerSecond: Int? = nil) {
        self.maximumMemories = maximumMemories
        self.maximumBytes = maximumBytes
        self.requestsPerSecond = requestsPerSecond
    }

    public static let unlimited = TenantQuotas()

    public var isUnlimited: Bool { self == .unlimited }

    /// For people: `1000 memories, 10000000 bytes, 50 requests/s`, or `none`.
    public var summary: String {
        let parts = [
            maximumMemories.map { "\($0) memories" }, maximumBytes.map { "\($0) bytes" },
            requestsPerSecond.map { "\($0) requests/s" },
        ].compactMap { $0 }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    func validated() throws -> TenantQuotas {
        for (name, value) in [
            ("maximumMemories", maximumMemories), ("maximumBytes", maximumBytes),
            ("requestsPerSecond", requestsPerSecond),
        ] {
            if let value, value < 1 {
                throw MemVaultError(.invalidArgument, "the quota \(name) must be at least 1 (leave it out for none)")
            }
        }
        return self
    }

    /// The stored and sealed form: `memories=…;bytes=…;rps=…`, `-` for no limit.
    public var canonical: String {
        [("memories", maximumMemories), ("bytes", maximumBytes), ("rps", requestsPerSecond)]
            .map { "\($0.0)=\($0.1.map(String.init) ?? "-")" }.joined(separator: ";")
    }

    public init?(canonical: String) {
        var values: [String: Int?] = [:]
        for field in canonical.split(separator: ";") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            if parts[1] == "-" {
                values[parts[0]] = .some(nil)
            } else {
                guard let number = Int(parts[1]), number > 0 else { return nil }
                values[parts[0]] = number
            }
        }
        guard Set(values.keys) == ["memories", "bytes", "rps"] else { return nil }
        self.init(
            maximumMemories: values["memories"] ?? nil, maximumBytes: values["bytes"] ?? nil,
            requestsPerSecond: values["rps"] ?? nil)
    }
}

/// What a tenant's current memories hold, as counted by its storage.
public struct TenantUsage: Sendable, Equatable, Codable {
    public let memories: Int
    public let bytes: Int

    public init(memories: Int, bytes: Int) {
        self.memories = memories
        self.bytes = bytes
    }
}

/// A tenant as the catalog lists it: its id, the policy that governs it and its quotas.
public struct TenantSummary: Sendable, Equatable, Codable {
    public let id: TenantID
    public let policy: String
    public let quotas: TenantQuotas
}
