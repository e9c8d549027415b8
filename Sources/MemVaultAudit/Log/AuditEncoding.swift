import MemVaultCrypto

/// The canonical encoding of an audit entry (Audit/SPEC.md): what is hashed, chained, put in the Merkle tree and
/// stored. Big-endian integers; strings as a 32-bit length and UTF-8 bytes; absent optional strings as empty.
///
/// ```
/// "MVA1" ‖ u64 sequence ‖ i64 time ‖ str actor ‖ str role ‖ str action ‖ str purpose ‖ str subject ‖ str cube
///        ‖ u32 n ‖ n × str memory ‖ str effect ‖ u32 k ‖ k × str rule ‖ str policy revision
///        ‖ u64 returned ‖ u64 withheld ‖ str detail
/// ```
public enum AuditEncoding {
    public static let magic: [UInt8] = Array("MVA1".utf8)

    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "malformed audit entry: \(reason)" }
    }

    public static func encode(_ entry: AuditEntry) -> [UInt8] {
        var output = magic
        output.reserveCapacity(256)
        append(entry.sequence, to: &output)
        append(UInt64(bitPattern: entry.time), to: &output)
        append(entry.actor, to: &output)
        append(entry.role, to: &output)
        append(entry.action.rawValue, to: &output)
        append(entry.purpose, to: &output)
        append(entry.subject ?? "", to: &output)
        append(entry.cube ?? "", to: &output)
        appendList(entry.memories, to: &output)
        append(entry.effect.rawValue, to: &output)
        appendList(entry.ruleIDs, to: &output)
        append(entry.policyRevision, to: &output)
        append(entry.returned, to: &output)
        append(entry.withheld, to: &output)
        append(entry.detail ?? "", to: &output)
        return output
    }

    public static func decode(_ bytes: [UInt8]) throws -> AuditEntry {
        var reader = Reader(bytes: bytes)
        guard try reader.take(4) == magic[...] else { throw Malformed(reason: "missing MVA1 magic") }
        let sequence = try reader.uint64()
        let time = Int64(bitPattern: try reader.uint64())
        let actor = try reader.string()
        let role = try reader.string()
        let action = try reader.string()
        let purpose = try reader.string()
        let subject = try reader.string()
        let cube = try reader.string()
        let memories = try reader.list()
        let effectName = try reader.string()
        guard let effect = AuditEffect(rawValue: effectName) else {
            throw Malformed(reason: "unknown effect '\(effectName.prefix(16))'")
        }
        let rules = try reader.list()
        let revision = try reader.string()
        let returned = try reader.uint64()
        let withheld = try reader.uint64()
        let detail = try reader.string()
        guard reader.offset == bytes.count else { throw Malformed(reason: "trailing bytes") }
        return AuditEntry(
            sequence: sequence, time: time, actor: actor, role: role, action: AuditAction(rawValue: action),
            purpose: purpose,
            subject: subject.isEmpty ? nil : subject, cube: cube.isEmpty ? nil : cube, memories: memories,
            effect: effect, ruleIDs: rules, policyRevision: revision, returned: returned, withheld: withheld,
            detail: detail.isEmpty ? nil : detail)
    }

    private static func append(_ value: UInt64, to output: inout [UInt8]) {
        BigEndian.append(value, to: &output)
    }

    private static func append(_ text: String, to output: inout [UInt8]) {
        BigEndian.append(UInt32(text.utf8.count), to: &output)
        output.append(contentsOf: text.utf8)
    }

    private static func appendList(_ list: [String], to output: inout [UInt8]) {
        BigEndian.append(UInt32(list.count), to: &output)
        for item in list { append(item, to: &output) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - offset >= count else { throw Malformed(reason: "truncated at \(offset)") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func uint64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }

        mutating func uint32() throws -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }

        mutating func string() throws -> String {
            guard let text = String(validating: try take(try uint32()), as: UTF8.self) else {
                throw Malformed(reason: "a string is not UTF-8")
            }
            return text
        }

        mutating func list() throws -> [String] {
            let count = try uint32()
            guard count <= bytes.count else { throw Malformed(reason: "list too long") }
            return try (0..<count).map { _ in try string() }
        }
    }
}
