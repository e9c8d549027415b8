import Foundation
import MemVaultPolicy
import Testing

@Suite("Shipped policy scenarios")
struct ShippedScenarioTests {
    static let files = ["default.yaml", "healthcare.yaml", "customer-support.yaml"]

    @Test("every scenario in Policies/scenarios gives the expected decision", arguments: files)
    func scenarios(file: String) throws {
        let scenarios = try PolicyScenarioFile.load(file: PolicyFixtures.path("scenarios/\(file)"))
        let engine = try PolicyEngine(PolicyLoader.load(file: scenarios.policyPath))
        #expect(scenarios.scenarios.count >= 7)
        for scenario in scenarios.scenarios {
            let (_, failure) = scenario.run(engine)
            #expect(failure == nil, "\(file):\(scenario.line) \(scenario.name): \(failure ?? "")")
        }
    }

    @Test("the default policy's scenarios cover each GDPR article it implements")
    func coverage() throws {
        let scenarios = try PolicyScenarioFile.load(file: PolicyFixtures.path("scenarios/default.yaml"))
        let articles = Set(scenarios.scenarios.compactMap(\.article))
        for article in [
            "GDPR Art. 5(1)(b)", "GDPR Art. 5(1)(e)", "GDPR Art. 6(1)(a)", "GDPR Art. 6(1)(b)", "GDPR Art. 6(1)(f)",
            "GDPR Art. 7(3)", "GDPR Art. 9(2)(a)", "GDPR Art. 15", "GDPR Art. 17(1)", "GDPR Art. 17(3)(e)",
            "GDPR Art. 20", "GDPR Art. 25(2)", "GDPR Art. 32(4)",
        ] {
            #expect(articles.contains(article), "no scenario for \(article)")
        }
        // Every built-in check the default policy can trigger has a scenario.
        let ruleIDs = Set(scenarios.scenarios.flatMap { $0.rules ?? [] })
        for check in [
            "memvault:consent", "memvault:purpose-limitation", "memvault:retention", "memvault:explicit-consent",
            "memvault:legal-hold", "memvault:default-deny", "memvault:unknown-purpose",
        ] {
            #expect(ruleIDs.contains(check), "no scenario exercises \(check)")
        }
    }

    @Test("a scenario that expects the wrong decision fails, naming what differs")
    func failingScenario() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "wrong.yaml").path
        try """
        policy: \(PolicyFixtures.path("default.yaml"))
        scenarios:
          - name: wrong on purpose
            request: {action: read, role: application, purpose: personalisation, category: preferences, consent: withdrawn, stored_at: 2026-11-01T00:00:00Z}
            expect: permit
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try PolicyScenarioFile.load(file: file)
        let (_, failure) = loaded.scenarios[0].run(try PolicyEngine(PolicyLoader.load(file: loaded.policyPath)))
        #expect(failure?.contains("expected permit, got deny") == true)
    }
}
