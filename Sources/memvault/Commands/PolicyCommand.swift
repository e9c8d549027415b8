import ArgumentParser
import Foundation
import MemVaultPolicy

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, explain and test policy files; generate the record of processing activities.",
        subcommands: [Lint.self, Explain.self, Test.self, Records.self]
    )

    /// Output options for commands that need no data folder.
    struct OutputOptions: ParsableArguments {
        @Flag(name: .long, help: "Print JSON instead of text.") var json = false

        func emit(_ value: some Encodable, text: String) throws {
            print(json ? try JSONOutput.encode(value) : text)
        }
    }

    /// Loads a policy for a command that cannot continue without it: the loader's
    /// problem goes to standard error and the command exits with failure.
    static func loadEngine(_ file: String) throws -> PolicyEngine {
        do {
            return try PolicyEngine(PolicyLoader.load(file: file))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate policy files: every problem with file:line:column and what to write instead.")

        @OptionGroup var output: OutputOptions
        @Argument(help: "Policy files.") var files: [String]

        struct FileResult: Encodable {
            let file: String
            let valid: Bool
            let policy: String?
            let revision: String?
            let problems: [String]
        }

        func run() throws {
            let results = files.map { file -> FileResult in
                do {
                    let engine = try PolicyEngine(PolicyLoader.load(file: file))
                    return FileResult(
                        file: file, valid: true, policy: engine.policy.name, revision: engine.revision, problems: [])
                } catch let error as PolicyLoadError {
                    return FileResult(
                        file: file, valid: false, policy: nil, revision: nil,
                        problems: error.problems.map(\.description))
                } catch {
                    return FileResult(file: file, valid: false, policy: nil, revision: nil, problems: ["\(error)"])
                }
            }
            let text = results.map { result in
                result.valid
                    ? "\(result.file): ok (policy \(result.policy ?? ""), revision \(result.revision?.prefix(16) ?? ""))"
                    : result.problems.joined(separator: "\n")
            }.joined(separator: "\n")
            try output.emit(results, text: text)
            if results.contains(where: { !$0.valid }) { throw ExitCode.failure }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the decision for one request, and why.",
            discussion: "Example: memvault policy explain --role application --action read --purpose personalisation "
                + "--category preferences --consent withdrawn")

        @OptionGroup var output: OutputOptions
        @Option(help: "The policy file.") var policy = "Policies/default.yaml"
        @Option(help: "\(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: Role
        @Option(help: "\(Action.allCases.map(\.rawValue).joined(separator: ", ")).") var action: Action
        @Option(help: "The purpose of the request.") var purpose: String
        @Option(help: "The memory's category.") var category: String?
        @Option(help: "The subject's consent for the purpose.") var consent: ConsentState = .unknown
        @Flag(name: .customLong("legal-hold"), help: "A legal hold applies.") var legalHold = false
        @Option(name: .customLong("memory-type"), help: "The memory's type.") var memoryType: String?
        @Option(help: "The memory's source kind.") var source: String?
        @Option(name: .customLong("stored-at"), help: "When the memory was stored (ISO 8601).") var storedAt: String?
        @Option(help: "Evaluate at this time instead of now (ISO 8601).") var now: String?

        func run() throws {
            let engine = try PolicyCommand.loadEngine(policy)
            let request = AccessRequest(
                action: action, role: role, purpose: purpose, category: category, consent: consent,
                legalHold: legalHold, memoryType: memoryType, source: source,
                storedAt: try storedAt.map { try Timestamps.parse($0, option: "--stored-at") },
                now: try now.map { try Timestamps.parse($0, option: "--now") } ?? .now)
            let decision = engine.decide(request)
            try output.emit(
                decision,
                text: """
                    \(decision.effect.rawValue.uppercased())
                      rules:  \(decision.ruleIDs.joined(separator: ", "))
                      reason: \(decision.reason)
                      policy: \(engine.policy.name) revision \(decision.policyRevision.prefix(16))
                    """)
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run scenario files (requests and their expected decisions), like `opa test`.")

        @OptionGroup var output: OutputOptions
        @Argument(help: "Scenario files (see Policies/scenarios).") var files: [String]

        struct Outcome: Encodable {
            let file: String
            let line: Int
            let name: String
            let article: String?
            let passed: Bool
            let failure: String?
            let decision: Decision?
        }

        struct Summary: Encodable {
            let passed: Int
            let failed: Int
            let scenarios: [Outcome]
        }

        func run() throws {
            var outcomes: [Outcome] = []
            for file in files {
                do {
                    let scenarios = try PolicyScenarioFile.load(file: file)
                    let engine = try PolicyEngine(PolicyLoader.load(file: scenarios.policyPath))
                    for scenario in scenarios.scenarios {
                        let (decision, failure) = scenario.run(engine)
                        outcomes.append(
                            Outcome(
                                file: file, line: scenario.line, name: scenario.name, article: scenario.article,
                                passed: failure == nil, failure: failure, decision: decision))
                    }
                } catch {
                    outcomes.append(
                        Outcome(
                            file: file, line: 0, name: "loading", article: nil, passed: false, failure: "\(error)",
                            decision: nil))
                }
            }
            let passed = outcomes.filter(\.passed).count
            let lines = outcomes.map { outcome in
                outcome.passed
                    ? "✔ \(outcome.name)" + (outcome.article.map { " (\($0))" } ?? "")
                    : "✘ \(outcome.file):\(outcome.line) \(outcome.name): \(outcome.failure ?? "")"
            }
            try output.emit(
                Summary(passed: passed, failed: outcomes.count - passed, scenarios: outcomes),
                text: (lines + ["\(passed) passed, \(outcomes.count - passed) failed"]).joined(separator: "\n"))
            if passed != outcomes.count { throw ExitCode.failure }
        }
    }

    struct Records: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the record of processing activities (GDPR Art. 30) of a policy, as Markdown or JSON.")

        @OptionGroup var output: OutputOptions
        @Argument(help: "The policy file.") var file = "Policies/default.yaml"

        func run() throws {
            let engine = try PolicyCommand.loadEngine(file)
            let records = ProcessingRecords(engine)
            try output.emit(records, text: records.markdown())
        }
    }
}
