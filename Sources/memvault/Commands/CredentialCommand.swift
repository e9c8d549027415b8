import ArgumentParser
import Foundation
import MemVault
import MemVaultPolicy

struct CredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential",
        abstract: "API credentials: each bound to one tenant (or the installation), one role and optionally purposes.",
        discussion: """
            The token is printed once, when the credential is made, and stored nowhere (the catalog keeps a keyed \
            hash of its secret). These commands act as --role administrator unless told otherwise; each is \
            recorded in the installation's audit log.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a credential and print its token, once.")
        @OptionGroup var options: InstallationOptions
        @Option(help: "The tenant it acts on.") var tenant: String?
        @Flag(help: "An installation credential (administrator or auditor), instead of --tenant.") var installation =
            false
        @Option(name: .customLong("as"), help: "Its role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
        var role: Role
        @Option(name: .customLong("purpose-limit"), help: "A purpose it may declare (repeatable; default: any).")
        var purposes: [String] = []
        @Option(help: ArgumentHelp("When it stops working (ISO 8601).", valueName: "time")) var expires: String?

        func validate() throws {
            guard (tenant != nil) != installation else {
                throw ValidationError("give exactly one of --tenant or --installation")
            }
        }

        func run() async throws {
            try await options.run {
                let new = NewCredential(
                    tenant: try tenant.map(TenantID.init), role: role, purposes: purposes,
                    expiresAt: try expires.map { try Timestamps.parse($0, option: "--expires") })
                return try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.createCredential(new)
                }
            } text: { issued in
                CredentialCommand.describe(issued.credential) + "\n\ntoken (shown once; keep it secret):\n"
                    + issued.token
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List credentials (never their tokens).")
        @OptionGroup var options: InstallationOptions
        @Option(help: "Only this tenant's.") var tenant: String?
        @Flag(help: "Only installation credentials.") var installation = false

        struct Result: Encodable {
            let credentials: [Credential]
        }

        func run() async throws {
            try await options.run {
                let tenant = try tenant.map(TenantID.init)
                return Result(
                    credentials: try await options.withInstallation(defaultRole: .administrator) {
                        try await $0.credentials(tenant: tenant, installationOnly: installation)
                    })
            } text: { result in
                result.credentials.isEmpty
                    ? "No credentials." : result.credentials.map(CredentialCommand.describe).joined(separator: "\n")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a credential: its next request is refused.")
        @OptionGroup var options: InstallationOptions
        @Argument(help: "The credential (cred_…).") var credential: String

        func run() async throws {
            try await options.run {
                try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.revokeCredential(credential)
                }
            } text: {
                "Revoked \($0.id)."
            }
        }
    }

    static func describe(_ credential: Credential) -> String {
        let scope = credential.tenant.map { "tenant \($0)" } ?? "installation"
        let purposes = credential.purposes.isEmpty ? "any purpose" : credential.purposes.joined(separator: ", ")
        var state = credential.revokedAt.map { "revoked \(Timestamps.format($0))" } ?? "active"
        if credential.revokedAt == nil, let expiresAt = credential.expiresAt {
            state += ", expires \(Timestamps.format(expiresAt))"
        }
        return "\(credential.id)  \(scope)  \(credential.role.rawValue)  \(purposes)  \(state)"
    }
}
