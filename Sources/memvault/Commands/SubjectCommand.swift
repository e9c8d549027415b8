import ArgumentParser
import Foundation
import MemVault

struct SubjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject",
        abstract: "Resolve subjects (a tenant's end users) by the tenant's external id.",
        subcommands: [Resolve.self]
    )

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find, or create, the subject for an external id; prints its MemVault id and pseudonym.",
            discussion: """
                The external id is stored only encrypted under the subject's own key, and looked up by a keyed \
                pseudonym. Pass it with --external-id, or on standard input to keep it out of shell history.
                """)

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(name: .customLong("external-id"), help: "The tenant's id for the user (default: read from stdin).")
        var externalID: String?
        @Flag(name: .customLong("no-create"), help: "Fail instead of creating a new subject.") var noCreate = false

        func run() async throws {
            try await options.run {
                let externalID = try externalID ?? Self.readStandardInput()
                return try await options.withOperations(tenant) { store in
                    try await store.resolveSubject(externalID: externalID, create: !noCreate)
                }
            } text: { subject in
                "\(subject.id)  pseudonym \(subject.pseudonym)"
            }
        }

        private static func readStandardInput() throws -> String {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("the external id on standard input is not UTF-8")
            }
            return text.trimmingCharacters(in: .newlines)
        }
    }
}
