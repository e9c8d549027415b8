import Foundation
import Yams

/// A scenario file for `memvault policy test`: requests and the decisions a policy must give them, like `opa test`.
///
/// ```yaml
/// policy: ../default.yaml            # relative to this file
/// now: 2026-11-21T00:00:00Z          # default evaluation time
/// scenarios:
///   - name: reading preferences after consent is withdrawn
///     article: GDPR Art. 7(3)
///     request: {action: read, role: application, purpose: personalisation, category: preferences,
///               consent: withdrawn, stored_at: 2026-11-01T00:00:00Z}
///     expect: deny
///     rules: [memvault:consent]      # optional: exactly these rule ids
///     reason_contains: consent       # optional
/// ```
public struct PolicyScenarioFile: Sendable {
    public let file: String
    public let policyPath: String
    public let scenarios: [PolicyScenario]

    public static func load(file path: String) throws -> PolicyScenarioFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw PolicyLoadError(problems: [
                PolicyProblem(file: path, line: 1, column: 1, message: "cannot read the file")
            ])
        }
        let diagnostics = Diagnostics(file: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw PolicyLoadError(problems: [PolicyProblem(file: path, line: 1, column: 1, message: "YAML: \(error)")])
        }
        guard let root, let top = MappingReader(root, context: "the scenario file", diagnostics: diagnostics) else {
            throw PolicyLoadError(
                problems: diagnostics.problems.isEmpty
                    ? [PolicyProblem(file: path, line: 1, column: 1, message: "the scenario file is empty")]
                    : diagnostics.problems)
        }
        top.checkKeys(["policy", "now", "scenarios"])
        let relative = top.string("policy", required: true) ?? ""
        let base = URL(filePath: path).deletingLastPathComponent()
        let policyPath = relative.hasPrefix("/") ? relative : base.appending(path: relative).standardizedFileURL.path
        let defaultNow = top.string("now").flatMap { parseTime($0, top.node("now")?.mark, diagnostics) } ?? .now
        var scenarios: [PolicyScenario] = []
        if case .sequence(let items)? = top.node("scenarios") {
            for item in items {
                if let scenario = PolicyScenario.read(item, now: defaultNow, diagnostics: diagnostics) {
                    scenarios.append(scenario)
                }
            }
        } else {
            diagnostics.report(top.mark, "the scenario file needs 'scenarios' (a list)")
        }
        guard diagnostics.problems.isEmpty else { throw PolicyLoadError(problems: diagnostics.problems) }
        return PolicyScenarioFile(file: path, policyPath: policyPath, scenarios: scenarios)
    }
}

public struct PolicyScenario: Sendable {
    public let name: String
    public let article: String?
    public let line: Int
    public let request: AccessRequest
    public let expect: Decision.Effect
    public let rules: [String]?
    public let reasonContains: String?

    /// The decision, and what (if anything) differs from the expectation.
    public func run(_ engine: PolicyEngine) -> (decision: Decision, failure: String?) {
        let decision = engine.decide(request)
        var failures: [String] = []
        if decision.effect != expect { failures.append("expected \(expect.rawValue), got \(decision.effect.rawValue)") }
        if let rules, rules.sorted() != decision.ruleIDs {
            failures.append("expected rules \(rules.sorted()), got \(decision.ruleIDs)")
        }
        if let reasonContains, !decision.reason.localizedCaseInsensitiveContains(reasonContains) {
            failures.append("expected the reason to mention '\(reasonContains)'")
        }
        return (decision, failures.isEmpty ? nil : failures.joined(separator: "; ") + " (\(decision.reason))")
    }

    static func read(_ node: Node, now: Date, diagnostics: Diagnostics) -> PolicyScenario? {
        guard let body = MappingReader(node, context: "a scenario", diagnostics: diagnostics) else { return nil }
        body.checkKeys(["name", "article", "request", "expect", "rules", "reason_contains"])
        let name = body.string("name", required: true) ?? "?"
        let context = "scenario '\(name)'"
        let expect = body.string("expect", required: true).flatMap { text -> Decision.Effect? in
            guard let effect = Decision.Effect(rawValue: text) else {
                diagnostics.report(body.node("expect")?.mark, "\(context): expect must be permit or deny")
                return nil
            }
            return effect
        }
        guard let request = body.mapping("request", context: "the request of \(context)") else {
            diagnostics.report(body.mark, "\(context) needs a 'request'")
            return nil
        }
        request.checkKeys([
            "action", "role", "purpose", "category", "consent", "legal_hold", "memory_type", "source", "stored_at",
            "now",
        ])
        func value<T: RawRepresentable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String {
            guard let text = request.string(key, required: true) else { return nil }
            guard let value = T(rawValue: text) else {
                diagnostics.report(request.node(key)?.mark, "\(context): unknown \(key) '\(text)'")
                return nil
            }
            return value
        }
        let action = value("action", Action.self)
        let role = value("role", Role.self)
        var consent = ConsentState.unknown
        if let text = request.string("consent") {
            if let state = ConsentState(rawValue: text) {
                consent = state
            } else {
                diagnostics.report(request.node("consent")?.mark, "\(context): unknown consent state '\(text)'")
            }
        }
        guard let action, let role, let purpose = request.string("purpose", required: true), let expect else {
            return nil
        }
        return PolicyScenario(
            name: name, article: body.string("article"), line: node.mark?.line ?? 0,
            request: AccessRequest(
                action: action, role: role, purpose: purpose, category: request.string("category"), consent: consent,
                legalHold: request.bool("legal_hold") ?? false, memoryType: request.string("memory_type"),
                source: request.string("source"),
                storedAt: request.string("stored_at").flatMap {
                    parseTime($0, request.node("stored_at")?.mark, diagnostics)
                },
                now: request.string("now").flatMap { parseTime($0, request.node("now")?.mark, diagnostics) } ?? now),
            expect: expect, rules: body.list("rules")?.map(\.value), reasonContains: body.string("reason_contains"))
    }
}

private func parseTime(_ text: String, _ mark: Mark?, _ diagnostics: Diagnostics) -> Date? {
    if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
    diagnostics.report(mark, "'\(text.prefix(40))' is not an ISO 8601 time such as 2026-11-21T00:00:00Z")
    return nil
}
