import Foundation

/// Labelled byte strings to look for (a subject's stored artefacts), found in one pass over each file (indexed by
/// their first 8 bytes): the probe of the forensic erasure tests.
package struct NeedleSet {
    private var needles: [UInt64: [(label: String, bytes: [UInt8])]] = [:]
    package private(set) var count = 0

    package init() {}

    package mutating func add(_ label: String, _ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return }
        needles[Self.key(bytes[...]), default: []].append((label, bytes))
        count += 1
    }

    /// A run of 32 bytes from the middle of a blob: unique, and within one page.
    package mutating func add(blob label: String, _ blob: [UInt8]) {
        guard blob.count >= 32 else { return }
        add(label, Array(blob[(blob.count / 2 - 16)..<(blob.count / 2 + 16)]))
    }

    private static func key(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Labels found, with the file they were found in.
    package func scan(_ files: [String: [UInt8]]) -> [String] {
        var found: Set<String> = []
        for (name, bytes) in files where bytes.count >= 8 {
            var window = Self.key(bytes[0..<8])
            for start in 0...(bytes.count - 8) {
                if start > 0 { window = window << 8 | UInt64(bytes[start + 7]) }
                guard let candidates = needles[window] else { continue }
                for candidate in candidates where start + candidate.bytes.count <= bytes.count {
                    if bytes[start..<(start + candidate.bytes.count)].elementsEqual(candidate.bytes) {
                        found.insert("\(candidate.label) in \((name as NSString).lastPathComponent)")
                    }
                }
            }
        }
        return found.sorted()
    }
}
