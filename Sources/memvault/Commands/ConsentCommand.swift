import ArgumentParser
import MemVault
import MemVaultPolicy

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Record and list subjects' consent per purpose (W3C DPV consent states).",
        subcommands: [Grant.self, Withdraw.self, Set.self, List.self]
    )

    struct Target: ParsableArguments {
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The subject (sub_…).") var subject: String
        @Option(name: .customLong("for"), help: "The purpose the consent is for.") var consentPurpose: String
        @Option(help: "What shows the consent, e.g. 'signup form v3, checkbox 2' (stored encrypted).")
        var evidence: String?
    }

    static func record(
        _ state: ConsentState, _ target: Target, _ options: TenantDataOptions
    ) async throws {
        try await options.run {
            let subject = try SubjectID(target.subject)
            return try await options.withOperations(target.tenant) { store in
                try await store.setConsent(
                    state, subject: subject, purpose: target.consentPurpose, evidence: target.evidence)
            }
        } text: {
            "Consent of \($0.subject) for \($0.purpose): \($0.state.rawValue)"
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record consent as given.")
        @OptionGroup var options: TenantDataOptions
        @OptionGroup var target: Target
        func run() async throws { try await ConsentCommand.record(.given, target, options) }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record consent as withdrawn; it takes effect for the very next request.")
        @OptionGroup var options: TenantDataOptions
        @OptionGroup var target: Target
        func run() async throws { try await ConsentCommand.record(.withdrawn, target, options) }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record any consent state: \(ConsentState.allCases.map(\.rawValue).joined(separator: ", ")).")
        @OptionGroup var options: TenantDataOptions
        @OptionGroup var target: Target
        @Option(help: "The state.") var state: ConsentState
        func run() async throws { try await ConsentCommand.record(state, target, options) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a subject's consent history, oldest first.")
        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The subject (sub_…).") var subject: String

        struct Result: Encodable {
            let history: [ConsentRecord]
        }

        func run() async throws {
            try await options.run {
                let subject = try SubjectID(subject)
                return Result(
                    history: try await options.withOperations(tenant) { try await $0.consentHistory(of: subject) })
            } text: { result in
                result.history.isEmpty
                    ? "No consent recorded."
                    : result.history.map {
                        "\(Timestamps.format($0.changedAt))  \($0.purpose)  \($0.state.rawValue)  by \($0.actor)"
                            + ($0.evidence.map { "  (\($0))" } ?? "")
                    }.joined(separator: "\n")
            }
        }
    }
}
