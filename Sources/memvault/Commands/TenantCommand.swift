import ArgumentParser
import MemVault
import MemVaultPolicy

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants: the organisations whose users' memories MemVault hosts.",
        discussion: "These commands act as --role administrator unless told otherwise; each is recorded in the "
            + "installation's audit log (`memvault audit log --installation`).",
        subcommands: [Create.self, List.self, SetPolicy.self, Delete.self]
    )

    struct Result: Encodable {
        let tenant: String
        var policy: String?
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant: its keys (tenant key, shared data key, pseudonym key) and its database.")

        @OptionGroup var options: StoreOptions
        @OptionGroup var access: AccessOptions
        @Argument(help: "The tenant id: a-z, 0-9, '-' and '_', up to 63 characters.") var tenant: String
        @Option(help: "The policy governing the tenant: a file POLICIES/<name>.yaml.") var policy = "default"

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                try await options.withStore {
                    try await $0.createTenant(tenant, policy: policy, as: access.context(defaultRole: .administrator))
                }
                return Result(tenant: tenant.rawValue, policy: policy)
            } text: {
                "Created tenant \($0.tenant) governed by policy \($0.policy ?? "default")"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants and their policies.")

        @OptionGroup var options: StoreOptions
        @OptionGroup var access: AccessOptions

        struct Listing: Encodable {
            let tenants: [TenantID]
            let policies: [String: String]
        }

        func run() async throws {
            try await options.run {
                let entries = try await options.withStore {
                    try await $0.tenants(as: access.context(defaultRole: .administrator))
                }
                return Listing(
                    tenants: entries.map(\.tenant),
                    policies: Dictionary(uniqueKeysWithValues: entries.map { ($0.tenant.rawValue, $0.policy) }))
            } text: { listing in
                listing.tenants.isEmpty
                    ? "No tenants."
                    : listing.tenants.map { "\($0)  policy \(listing.policies[$0.rawValue] ?? "")" }
                        .joined(separator: "\n")
            }
        }
    }

    struct SetPolicy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-policy", abstract: "Put a tenant under another policy (it must validate first).")

        @OptionGroup var options: StoreOptions
        @OptionGroup var access: AccessOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Argument(help: "The policy name: a file POLICIES/<name>.yaml.") var policy: String

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                try await options.withStore {
                    try await $0.setPolicy(policy, for: tenant, as: access.context(defaultRole: .administrator))
                }
                return Result(tenant: tenant.rawValue, policy: policy)
            } text: {
                "Tenant \($0.tenant) is now governed by policy \($0.policy ?? "")"
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tenant: destroy its keys (all its data, backups included, becomes unreadable) "
                + "and remove its database.")

        @OptionGroup var options: StoreOptions
        @OptionGroup var access: AccessOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Flag(help: "Confirm: this cannot be undone.") var yes = false

        func run() async throws {
            try await options.run {
                guard yes else {
                    throw ValidationError("deleting tenant '\(tenant)' destroys all its memories; add --yes to confirm")
                }
                let tenant = try TenantID(tenant)
                try await options.withStore {
                    try await $0.deleteTenant(tenant, as: access.context(defaultRole: .administrator))
                }
                return Result(tenant: tenant.rawValue)
            } text: {
                "Deleted tenant \($0.tenant): keys destroyed, database removed."
            }
        }
    }
}
