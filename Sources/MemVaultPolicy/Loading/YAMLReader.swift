import Yams

/// Collects problems while a policy is read, so one run reports all of them.
final class Diagnostics {
    let file: String
    private(set) var problems: [PolicyProblem] = []

    init(file: String) { self.file = file }

    func report(_ mark: Mark?, _ message: String) {
        problems.append(PolicyProblem(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }
}

/// Typed, position-aware access to one YAML mapping of a policy file.
struct MappingReader {
    let pairs: [(key: String, keyMark: Mark?, value: Node)]
    let mark: Mark?
    let context: String
    let diagnostics: Diagnostics

    /// nil (with a problem reported) unless `node` is a mapping with scalar keys.
    init?(_ node: Node, context: String, diagnostics: Diagnostics) {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node.mark, "\(context) must be a mapping of keys to values")
            return nil
        }
        var pairs: [(String, Mark?, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                diagnostics.report(key.mark, "keys in \(context) must be plain names")
                continue
            }
            pairs.append((scalar.string, key.mark, value))
        }
        self.pairs = pairs
        self.mark = node.mark
        self.context = context
        self.diagnostics = diagnostics
    }

    /// Reports keys outside `allowed` (with the nearest allowed name) and keys written twice.
    func checkKeys(_ allowed: [String]) {
        var seen: Set<String> = []
        for pair in pairs {
            if !seen.insert(pair.key).inserted {
                diagnostics.report(pair.keyMark, "'\(pair.key)' appears twice in \(context); keep one")
            } else if !allowed.contains(pair.key) {
                let hint = Suggestion.nearest(to: pair.key, in: allowed).map { "did you mean '\($0)'? " } ?? ""
                diagnostics.report(
                    pair.keyMark,
                    "unknown key '\(pair.key)' in \(context); \(hint)allowed keys are: \(allowed.joined(separator: ", "))"
                )
            }
        }
    }

    /// Reports duplicate keys only (for mappings whose keys are names chosen by the author, such as purpose ids).
    func checkDuplicates(kind: String) {
        var seen: Set<String> = []
        for pair in pairs where !seen.insert(pair.key).inserted {
            diagnostics.report(pair.keyMark, "\(kind) '\(pair.key)' is declared twice; ids must be unique")
        }
    }

    func node(_ key: String) -> Node? { pairs.first { $0.key == key }?.value }

    func keyMark(_ key: String) -> Mark? { pairs.first { $0.key == key }?.keyMark }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = node(key) else {
            if required { diagnostics.report(mark, "\(context) needs '\(key)'") }
            return nil
        }
        return Self.scalar(node, what: "'\(key)' in \(context)", diagnostics: diagnostics)
    }

    func bool(_ key: String) -> Bool? {
        guard let text = string(key) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            diagnostics.report(
                node(key)?.mark, "'\(key)' in \(context) must be true or false, not '\(text.prefix(40))'")
            return nil
        }
    }

    /// A list of scalars, each with its position.
    func list(_ key: String, required: Bool = false) -> [(value: String, mark: Mark?)]? {
        guard let node = node(key) else {
            if required { diagnostics.report(mark, "\(context) needs '\(key)' (a list such as [a, b])") }
            return nil
        }
        guard case .sequence(let sequence) = node else {
            diagnostics.report(node.mark, "'\(key)' in \(context) must be a list such as [a, b]")
            return nil
        }
        return sequence.compactMap { item in
            Self.scalar(item, what: "an item of '\(key)' in \(context)", diagnostics: diagnostics).map {
                ($0, item.mark)
            }
        }
    }

    func mapping(_ key: String, context: String) -> MappingReader? {
        node(key).flatMap { MappingReader($0, context: context, diagnostics: diagnostics) }
    }

    static func scalar(_ node: Node, what: String, diagnostics: Diagnostics) -> String? {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .alias: diagnostics.report(node.mark, "\(what): anchors and aliases are not allowed in policy files")
        default: diagnostics.report(node.mark, "\(what) must be a single value")
        }
        return nil
    }
}

/// "Did you mean …?" for misspelt names.
enum Suggestion {
    static func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
        let scored = candidates.map { ($0, distance(word, $0)) }.filter { $0.1 <= max(2, word.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
