import Foundation
import MemVaultPolicy
import Testing

@Suite("Policy loading and validation")
struct PolicyLoaderTests {
    private func problems(_ yaml: String) throws -> [PolicyProblem] {
        let error = try #require(throws: PolicyLoadError.self) { try PolicyLoader.load(yaml: yaml, file: "test.yaml") }
        return error.problems
    }

    @Test("the shipped policies load", arguments: ["default.yaml", "healthcare.yaml", "customer-support.yaml"])
    func shippedPolicies(file: String) throws {
        let policy = try PolicyLoader.load(file: PolicyFixtures.path(file))
        #expect(!policy.purposes.isEmpty && !policy.categories.isEmpty && !policy.rules.isEmpty)
        #expect(try PolicyEngine(policy).revision.count == 64)
    }

    @Test("a misspelt key is reported with its position and the right spelling")
    func unknownKey() throws {
        let yaml = PolicyFixtures.minimal.replacingOccurrences(
            of: "    legal_basis: contract", with: "    legal_bases: contract")
        let found = try problems(yaml)
        let problem = try #require(found.first { $0.message.contains("legal_bases") })
        #expect(problem.line == 7 && problem.column == 5)
        #expect(problem.message.contains("did you mean 'legal_basis'?"))
        #expect(problem.description.hasPrefix("test.yaml:7:5: "))
    }

    @Test(
        "every kind of mistake is rejected with a message that says what to write",
        arguments: [
            ("    retention: P30D", "    retention: P30", "invalid duration 'P30'", "P30D"),
            (
                "    purposes: [personalisation]", "    purposes: [marketing]", "unknown purpose 'marketing'",
                "declared purposes are: personalisation, support"
            ),
            ("    legal_basis: consent", "    legal_basis: agreement", "unknown legal basis 'agreement'", "use one of"),
            (
                "    actions: [read, write]", "    actions: [read, writ]", "unknown action 'writ'",
                "did you mean 'write'?"
            ),
            ("    roles: [application]", "    roles: [admin]", "unknown role 'admin'", "use one of"),
            ("  - id: app", "  - id: App Rule", "invalid rule id", "a-z"),
            ("version: 1", "version: 2", "unknown policy language version '2'", "version 1"),
            ("    effect: permit", "    effect: allow", "unknown effect 'allow'", "permit, forbid"),
        ])
    func mistakes(original: String, replacement: String, message: String, advice: String) throws {
        let yaml = PolicyFixtures.minimal.replacingOccurrences(of: original, with: replacement)
        #expect(yaml != PolicyFixtures.minimal)
        let found = try problems(yaml)
        let problem = try #require(found.first { $0.message.contains(message) }, "\(found)")
        #expect(problem.message.contains(advice), "\(problem)")
        #expect(problem.line > 1)
    }

    @Test("duplicates and contradictions are rejected")
    func duplicatesAndContradictions() throws {
        let duplicateRule =
            PolicyFixtures.minimal + "\n  - id: app\n    effect: forbid\n    actions: [read]\n    roles: [auditor]\n"
        #expect(try problems(duplicateRule).contains { $0.message.contains("rule id 'app' is used twice") })

        let duplicatePurpose = PolicyFixtures.minimal.replacingOccurrences(
            of: "  support:\n    legal_basis: contract", with: "  personalisation:\n    legal_basis: contract")
        let duplicate = try #require(try problems(duplicatePurpose).first)
        #expect(
            duplicate.message.contains("'personalisation' appears twice") && duplicate.line == 6
                && duplicate.column == 3)

        let keptTooShort = PolicyFixtures.minimal.replacingOccurrences(
            of: "    retention: P30D\n",
            with:
                "    retention: P30D\n    erasure_exception:\n      basis: legal-obligation\n      keep_for: P10Y\n      purposes: [support]\n"
        )
        #expect(try problems(keptTooShort).contains { $0.message.contains("set retention to at least P10Y") })

        let specialOnContract = PolicyFixtures.minimal.replacingOccurrences(
            of: "  tickets:\n    purposes: [support]",
            with: "  tickets:\n    special_category: true\n    purposes: [support]")
        #expect(try problems(specialOnContract).contains { $0.message.contains("no GDPR Art. 9(2) ground") })

        let unreachable =
            PolicyFixtures.minimal + """

                  - id: never
                    effect: permit
                    actions: [read]
                    roles: [application]
                    purposes: [support]
                    conditions:
                      categories: [preferences]
                """
        #expect(try problems(unreachable).contains { $0.message.contains("can never permit anything") })

        let longDeadline = PolicyFixtures.minimal + "\nerasure:\n  deadline: P6M\n"
        #expect(try problems(longDeadline).contains { $0.message.contains("Art. 12(3)") })
    }

    @Test("all problems of a file are reported at once, in file order")
    func manyProblems() throws {
        let yaml = PolicyFixtures.minimal.replacingOccurrences(of: "P30D", with: "thirty days")
            .replacingOccurrences(of: "roles: [application]", with: "roles: [janitor]")
        let found = try problems(yaml)
        #expect(found.count == 2)
        #expect(found.map(\.line) == found.map(\.line).sorted())
    }

    @Test(
        "YAML syntax errors carry their position", arguments: ["policy: [unclosed", "a:\n  - b\n c: d", "\tpolicy: x"])
    func syntaxErrors(yaml: String) throws {
        let found = try problems(yaml)
        #expect(found.count == 1 && found[0].line >= 1)
    }

    @Test("a policy means the same whatever the order of its rules and lists (same revision)")
    func revisionIgnoresOrder() throws {
        let reordered = PolicyFixtures.minimal.replacingOccurrences(of: "[read, write]", with: "[write, read]")
            .replacingOccurrences(of: "# none", with: "")
        let a = try PolicyEngine(PolicyLoader.load(yaml: PolicyFixtures.minimal, file: "a"))
        let b = try PolicyEngine(PolicyLoader.load(yaml: reordered + "\n# a comment\n", file: "b"))
        #expect(a.revision == b.revision)
        let changed = try PolicyEngine(
            PolicyLoader.load(yaml: PolicyFixtures.minimal.replacingOccurrences(of: "P30D", with: "P31D"), file: "c"))
        #expect(changed.revision != a.revision)
    }

    @Test(
        "ISO 8601 durations parse strictly",
        arguments: [
            ("P30D", true), ("P1Y6M", true), ("P2W", true), ("PT12H", true), ("P1DT2H", true), ("P1M", true),
            ("P", false), ("PT", false), ("30D", false), ("P1.5D", false), ("P1D1Y", false), ("P1H", false),
            ("P-1D", false),
            ("P1DT", false), ("P1Y1Y", false),
        ])
    func durations(text: String, valid: Bool) {
        #expect((ISODuration(text) != nil) == valid)
    }
}
