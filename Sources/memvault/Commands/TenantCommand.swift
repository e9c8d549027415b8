import ArgumentParser
import MemVault

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants: the organisations whose users' memories MemVault hosts.",
        subcommands: [Create.self, List.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant with its first tenant key and its shared data key.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The tenant id: a-z, 0-9, '-' and '_', up to 63 characters.") var tenant: String

        struct Result: Encodable {
            let tenant: String
            let primaryKeyVersion: UInt32
        }

        func run() throws {
            try options.run {
                let tenant = try TenantID(tenant)
                let keys = try options.openInstallation().keys
                try keys.createTenant(tenant)
                return Result(tenant: tenant.rawValue, primaryKeyVersion: 1)
            } text: {
                "Created tenant \($0.tenant) (tenant key version \($0.primaryKeyVersion))"
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")

        @OptionGroup var options: GlobalOptions

        struct Result: Encodable {
            let tenants: [TenantID]
        }

        func run() throws {
            try options.run {
                Result(tenants: try options.openInstallation().keys.tenants())
            } text: { result in
                result.tenants.isEmpty ? "No tenants." : result.tenants.map(\.rawValue).joined(separator: "\n")
            }
        }
    }
}
