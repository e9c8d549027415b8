import Foundation
import Testing

@testable import MemVaultPolicy

/// Randomised checks of the semantics, over random requests against the shipped policies (seeded, reproducible).
@Suite("Policy properties")
struct PolicyPropertyTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let policies = ["default.yaml", "healthcare.yaml", "customer-support.yaml"]

    private func randomRequests(_ policy: Policy, count: Int, seed: UInt64) -> [AccessRequest] {
        var generator = SeededGenerator(state: seed)
        let purposes = Array(policy.purposes.keys) + ["undeclared"]
        let categories = Array(policy.categories.keys).map(Optional.some) + [nil, "undeclared"]
        return (0..<count).map { _ in
            AccessRequest(
                action: Action.allCases.randomElement(using: &generator)!,
                role: Role.allCases.randomElement(using: &generator)!,
                purpose: purposes.randomElement(using: &generator)!,
                category: categories.randomElement(using: &generator)!,
                consent: ConsentState.allCases.randomElement(using: &generator)!,
                legalHold: Bool.random(using: &generator),
                memoryType: StoreVocabulary.memoryTypes.sorted().randomElement(using: &generator),
                source: StoreVocabulary.sources.sorted().randomElement(using: &generator),
                storedAt: PolicyFixtures.now.addingTimeInterval(
                    -Double.random(in: 0...(86_400 * 4000), using: &generator)),
                now: PolicyFixtures.now)
        }
    }

    @Test("adding a forbid rule never turns a deny into a permit", arguments: policies)
    func forbidNeverPermits(file: String) throws {
        let policy = try PolicyLoader.load(file: PolicyFixtures.path(file))
        let base = try PolicyEngine(policy)
        var generator = SeededGenerator(state: 7)
        for round in 0..<40 {
            let forbid = Policy.Rule(
                id: "zz-extra-\(round)", effect: .forbid,
                actions: Set(Action.allCases.filter { _ in Bool.random(using: &generator) }),
                roles: Set(Role.allCases.filter { _ in Bool.random(using: &generator) }), purposes: nil,
                conditions: .none, description: nil)
            let extended = try PolicyEngine(
                Policy(
                    name: policy.name, description: policy.description, purposes: policy.purposes,
                    categories: policy.categories, rules: policy.rules + [forbid], erasure: policy.erasure,
                    migration: policy.migration, records: policy.records))
            for request in randomRequests(policy, count: 300, seed: UInt64(round)) {
                let before = base.decide(request)
                let after = extended.decide(request)
                if !before.isPermitted { #expect(!after.isPermitted, "\(request)") }
            }
        }
    }

    @Test("shuffling the rules never changes a decision", arguments: policies)
    func orderDoesNotMatter(file: String) throws {
        let policy = try PolicyLoader.load(file: PolicyFixtures.path(file))
        let base = try PolicyEngine(policy)
        var generator = SeededGenerator(state: 11)
        for round in 0..<20 {
            let shuffled = try PolicyEngine(
                Policy(
                    name: policy.name, description: policy.description, purposes: policy.purposes,
                    categories: policy.categories, rules: policy.rules.shuffled(using: &generator),
                    erasure: policy.erasure, migration: policy.migration, records: policy.records))
            #expect(shuffled.revision != "")
            for request in randomRequests(policy, count: 300, seed: UInt64(100 + round)) {
                let a = base.decide(request)
                let b = shuffled.decide(request)
                #expect(a.effect == b.effect && a.ruleIDs == b.ruleIDs && a.reason == b.reason, "\(request)")
            }
        }
    }

    @Test("the file order of rules does not change the revision", arguments: policies)
    func fileOrderAndRevision(file: String) throws {
        let text = try String(contentsOfFile: PolicyFixtures.path(file), encoding: .utf8)
        let start = try #require(text.range(of: "\nrules:\n"))
        let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
        let rulesText = String(text[start.upperBound..<end])
        let rules = rulesText.components(separatedBy: "\n  - ").enumerated().map {
            $0.offset == 0 ? String($0.element.dropFirst(4)) : $0.element
        }
        let reversed = "\n  - " + rules.reversed().joined(separator: "\n  - ")
        let shuffledText = text.replacingCharacters(in: start.upperBound..<end, with: String(reversed.dropFirst()))
        #expect(shuffledText != text)
        let original = try PolicyEngine(PolicyLoader.load(yaml: text, file: file))
        let reordered = try PolicyEngine(PolicyLoader.load(yaml: shuffledText, file: file))
        #expect(original.revision == reordered.revision)
    }

    @Test("every decision is a deny unless some permit rule matched")
    func defaultDeny() throws {
        for file in Self.policies {
            let engine = try PolicyFixtures.engine(file)
            for request in randomRequests(engine.policy, count: 2_000, seed: 5) {
                let decision = engine.decide(request)
                if decision.isPermitted {
                    #expect(
                        decision.ruleIDs.allSatisfy { id in
                            engine.policy.rules.contains { $0.id == id && $0.effect == .permit }
                        })
                } else {
                    #expect(!decision.ruleIDs.isEmpty && !decision.reason.isEmpty)
                }
            }
        }
    }
}
