import ArgumentParser
import MemVault

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants: the organisations whose users' memories MemVault hosts.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Result: Encodable {
        let tenant: String
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant: its keys (tenant key, shared data key, pseudonym key) and its database.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The tenant id: a-z, 0-9, '-' and '_', up to 63 characters.") var tenant: String

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                let store = try await options.openStore()
                try await store.createTenant(tenant)
                try await store.close()
                return Result(tenant: tenant.rawValue)
            } text: {
                "Created tenant \($0.tenant)"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")

        @OptionGroup var options: GlobalOptions

        struct Listing: Encodable {
            let tenants: [TenantID]
        }

        func run() async throws {
            try await options.run {
                let store = try await options.openStore()
                let tenants = try await store.tenants()
                try await store.close()
                return Listing(tenants: tenants)
            } text: { listing in
                listing.tenants.isEmpty ? "No tenants." : listing.tenants.map(\.rawValue).joined(separator: "\n")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tenant: destroy its keys (all its data, backups included, becomes unreadable) "
                + "and remove its database.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Flag(help: "Confirm: this cannot be undone.") var yes = false

        func run() async throws {
            try await options.run {
                guard yes else {
                    throw ValidationError("deleting tenant '\(tenant)' destroys all its memories; add --yes to confirm")
                }
                let tenant = try TenantID(tenant)
                let store = try await options.openStore()
                try await store.deleteTenant(tenant)
                try await store.close()
                return Result(tenant: tenant.rawValue)
            } text: {
                "Deleted tenant \($0.tenant): keys destroyed, database removed."
            }
        }
    }
}
