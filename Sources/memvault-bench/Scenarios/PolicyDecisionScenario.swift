import Foundation
import MemVaultPolicy

/// Issue 4: the time one policy decision takes, for realistic requests against the shipped policies, next to the
/// cheapest check conceivable (one allow-list lookup) measured in the same run.
struct PolicyDecisionScenario: Scenario {
    let budget: Duration
    let policies: URL
    let name = "policy decisions"

    func run() async throws -> ReportSection {
        var rows: [Measurement] = []
        for file in ["default", "healthcare", "customer-support"] {
            let engine = try PolicyEngine(PolicyLoader.load(file: policies.appending(path: "\(file).yaml").path))
            let requests = Self.requests(for: engine.policy, count: 4_096)
            var index = 0
            var permitted = 0
            let decisions = operationsPerSecond(budget: budget) {
                if engine.decide(requests[index & 4095]).isPermitted { permitted += 1 }
                index += 1
            }
            // The floor: deciding by one hash-set lookup of a precomputed key.
            let allowList = Set(
                requests.prefix(2_048).map { "\($0.role.rawValue)|\($0.action.rawValue)|\($0.purpose)" })
            let keys = requests.map { "\($0.role.rawValue)|\($0.action.rawValue)|\($0.purpose)" }
            var hits = 0
            let lookups = operationsPerSecond(budget: budget) {
                if allowList.contains(keys[index & 4095]) { hits += 1 }
                index += 1
            }
            rows.append(
                Measurement(
                    label: "decision, policy \(file) (\(engine.policy.rules.count) rules)",
                    value: 1_000_000 / decisions,
                    unit: "µs", baselineLabel: "one Set<String> lookup", baseline: 1_000_000 / lookups,
                    higherIsBetter: false))
            _ = (permitted, hits)
        }
        return ReportSection(
            title: "Policy decisions",
            description: """
                Mean time of `PolicyEngine.decide` over 4,096 random requests (every action, role, consent state, \
                declared and undeclared purposes and categories, legal holds, storage times) against each shipped \
                policy, built-in GDPR checks and rule matching included, the decision value with its reason built. \
                Baseline: a single hash-set lookup, the cheapest possible check.
                """,
            rows: rows,
            notes: ["Aim (issue 4): well under 10 µs per decision."])
    }

    static func requests(for policy: Policy, count: Int) -> [AccessRequest] {
        var generator = SystemRandomNumberGenerator()
        let purposes = Array(policy.purposes.keys) + ["undeclared"]
        let categories = Array(policy.categories.keys).map(Optional.some) + [nil]
        let now = Date.now
        return (0..<count).map { _ in
            AccessRequest(
                action: Action.allCases.randomElement(using: &generator)!,
                role: Role.allCases.randomElement(using: &generator)!,
                purpose: purposes.randomElement(using: &generator)!,
                category: categories.randomElement(using: &generator)!,
                consent: ConsentState.allCases.randomElement(using: &generator)!,
                legalHold: Int.random(in: 0..<10, using: &generator) == 0,
                memoryType: StoreVocabulary.memoryTypes.randomElement(using: &generator),
                source: StoreVocabulary.sources.randomElement(using: &generator),
                storedAt: now.addingTimeInterval(-Double.random(in: 0...(86_400 * 800), using: &generator)), now: now)
        }
    }
}
