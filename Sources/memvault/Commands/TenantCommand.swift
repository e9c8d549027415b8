import ArgumentParser
import MemVault
import MemVaultPolicy

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants: the organisations whose users' memories MemVault hosts.",
        discussion: "These commands act as --role administrator unless told otherwise; each is recorded in the "
            + "installation's audit log (`memvault audit log --installation`).",
        subcommands: [Create.self, List.self, SetPolicy.self, SetQuotas.self, Delete.self, Servers.self, Move.self]
    )

    struct Result: Encodable {
        let tenant: String
        var policy: String?
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant: its keys (tenant key, shared data key, pseudonym key) and its database.")

        @OptionGroup var options: InstallationOptions
        @Argument(help: "The tenant id: a-z, 0-9, '-' and '_', up to 63 characters.") var tenant: String
        @Option(help: "The policy governing the tenant: a file POLICIES/<name>.yaml.") var policy = "default"

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.createTenant(tenant, policy: policy)
                }
                return Result(tenant: tenant.rawValue, policy: policy)
            } text: {
                "Created tenant \($0.tenant) governed by policy \($0.policy ?? "default")"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants and their policies.")

        @OptionGroup var options: InstallationOptions

        struct Listing: Encodable {
            let tenants: [TenantSummary]
        }

        func run() async throws {
            try await options.run {
                Listing(
                    tenants: try await options.withInstallation(defaultRole: .administrator) { try await $0.tenants() })
            } text: { listing in
                listing.tenants.isEmpty
                    ? "No tenants."
                    : listing.tenants.map { "\($0.id)  policy \($0.policy)  quotas \($0.quotas.summary)" }
                        .joined(separator: "\n")
            }
        }
    }

    struct SetPolicy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-policy", abstract: "Put a tenant under another policy (it must validate first).")

        @OptionGroup var options: InstallationOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Argument(help: "The policy name: a file POLICIES/<name>.yaml.") var policy: String

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.setPolicy(policy, for: tenant)
                }
                return Result(tenant: tenant.rawValue, policy: policy)
            } text: {
                "Tenant \($0.tenant) is now governed by policy \($0.policy ?? "")"
            }
        }
    }

    struct SetQuotas: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-quotas",
            abstract: "Set a tenant's quotas: memories, content bytes, requests per second (the server's 429s).",
            discussion: "A quota not given is lifted; with none given, all are. Example: memvault tenant set-quotas "
                + "acme --memories 1000000 --bytes 10000000000 --requests-per-second 500")

        @OptionGroup var options: InstallationOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Option(help: "The most memories (current versions) it may hold.") var memories: Int?
        @Option(help: "The most bytes of content its current versions may hold.") var bytes: Int?
        @Option(name: .customLong("requests-per-second"), help: "The requests per second the server admits for it.")
        var requestsPerSecond: Int?

        func run() async throws {
            try await options.run {
                let tenant = try TenantID(tenant)
                let quotas = TenantQuotas(
                    maximumMemories: memories, maximumBytes: bytes, requestsPerSecond: requestsPerSecond)
                return try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.setQuotas(quotas, for: tenant)
                }
            } text: {
                "Tenant \($0.id) quotas: \($0.quotas.summary)"
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tenant: destroy its keys (all its data, backups included, becomes unreadable) "
                + "and remove its database.")

        @OptionGroup var options: InstallationOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Flag(help: "Confirm: this cannot be undone.") var yes = false

        func run() async throws {
            try await options.run {
                guard yes else {
                    throw ValidationError("deleting tenant '\(tenant)' destroys all its memories; add --yes to confirm")
                }
                let tenant = try TenantID(tenant)
                try await options.withInstallation(defaultRole: .administrator) { try await $0.deleteTenant(tenant) }
                return Result(tenant: tenant.rawValue)
            } text: {
                "Deleted tenant \($0.tenant): keys destroyed, database removed."
            }
        }
    }

    struct Servers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the database servers tenants are placed on, with how many tenants each holds.",
            discussion: "On PostgreSQL: `primary` (--postgres) and each --postgres-server NAME=URL; new tenants go to "
                + "the one holding the fewest. A data folder has none to list.")

        @OptionGroup var options: InstallationOptions

        struct Listing: Encodable {
            let servers: [ServerLoad]
        }

        func run() async throws {
            try await options.run {
                try options.refuseServer("tenant servers")
                let context = options.access.context(defaultRole: .administrator, purpose: nil)
                return Listing(servers: try await options.store.withStore { try await $0.servers(as: context) })
            } text: { listing in
                listing.servers.isEmpty
                    ? "This installation keeps every tenant in its data folder."
                    : listing.servers.map { "\($0.name)  \($0.tenants) tenant\($0.tenants == 1 ? "" : "s")" }
                        .joined(separator: "\n")
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a tenant to another PostgreSQL server; its writes pause while it is copied.",
            discussion:
                "Copies every table from one snapshot while the tenant's writers wait (reads go on), checks each "
                + "table's copy against the original, switches the catalog and removes the old copy; then the tenant's "
                + "audit log must verify on the new server. Run it again to finish an interrupted move. Example: "
                + "memvault tenant move acme --to b --postgres-server b=postgres://memvault@db-b/memvault")

        @OptionGroup var options: InstallationOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Option(help: "The server to move it to: a name given with --postgres-server (or primary).") var to: String

        func run() async throws {
            try await options.run {
                try options.refuseServer("tenant move")
                let tenant = try TenantID(tenant)
                let context = options.access.context(defaultRole: .administrator, purpose: nil)
                return try await options.store.withStore { store in
                    try await store.moveTenant(tenant, to: to, as: context) { step in
                        Progress.report(
                            "copied \(step.table): \(step.rows) rows (\(step.tablesDone) of \(step.tables) tables)")
                    }
                }
            } text: { move in
                let report = move.report
                return "Moved tenant \(report.tenant) from \(report.from) to \(report.to): \(report.rows) rows in "
                    + "\(report.tables) tables; writes paused \(Int(report.pauseMilliseconds.rounded())) ms of "
                    + "\(Int(report.totalMilliseconds.rounded())) ms; audit log verified (\(move.auditEntries) entries)"
            }
        }
    }
}
