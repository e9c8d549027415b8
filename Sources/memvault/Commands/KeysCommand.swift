import ArgumentParser
import MemVault
import MemVaultPolicy

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect and rotate the key hierarchy.",
        discussion: "These commands act as --role administrator unless told otherwise; each is recorded in the "
            + "installation's audit log, and key events in the tenant's too.",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self, Recipient.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show tenant key versions, data key counts and the encryptions done under them.")

        @OptionGroup var options: InstallationOptions
        @Option(help: "Only this tenant.") var tenant: String?

        func run() async throws {
            try await options.run {
                let tenant = try tenant.map(TenantID.init)
                return try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.keyStatus(tenant)
                }
            } text: { result in
                var lines = result.masterKey.map { ["master key: \($0)"] } ?? []
                if result.tenants.isEmpty { lines.append("no tenants") }
                for status in result.tenants {
                    lines.append("")
                    lines.append("tenant \(status.tenant)  (primary tenant key: version \(status.primaryVersion))")
                    lines.append("  version  state    data keys  created")
                    for key in status.tenantKeys {
                        lines.append(
                            "  " + pad(String(key.version), 7) + "  " + pad(key.state, 7) + "  "
                                + pad(String(key.dataKeysWrapped), 9) + "  " + key.createdAt
                                + (key.retiredAt.map { "  retired \($0)" } ?? ""))
                    }
                    let data = status.dataKeys
                    lines.append(
                        "  data keys: \(data.owners) owners (\(data.subjects) subjects), \(data.versions) versions, "
                            + "\(data.encryptions) encryptions done (\(data.encryptionsReserved) reserved); most "
                            + "reserved on one key \(data.maximumEncryptionsPerKey) of \(data.rotationThreshold) before "
                            + "rotation")
                }
                return lines.joined(separator: "\n")
            }
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
    }

    struct Recipient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a tenant's public keys for bundles: the key senders seal to, and the key it signs with.",
            discussion: "Give the recipient key to whoever exports a bundle for this tenant (`memvault export --to`), "
                + "and the signer key to whoever imports this tenant's bundles (`memvault import --trusted-sender`).")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant, defaultRole: .administrator) { try await $0.portabilityKeys() }
            } text: { keys in
                "tenant \(keys.tenant) of installation \(keys.installation)\nrecipient (X25519): \(keys.recipient)\n"
                    + "signer (Ed25519):    \(keys.signer)"
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a tenant key version and make it primary (data keys stay wrapped until `keys rewrap`).")

        @OptionGroup var options: InstallationOptions
        @Option(help: "The tenant whose key to rotate.") var tenant: String

        struct Result: Encodable {
            let tenant: String
            let primaryVersion: UInt32
        }

        func run() async throws {
            try await options.run {
                let version = try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.rotateTenantKey(TenantID(tenant))
                }
                return Result(tenant: tenant, primaryVersion: version)
            } text: { result in
                "Tenant \(result.tenant): tenant key version \(result.primaryVersion) is now primary. "
                    + "Run `memvault keys rewrap --tenant \(result.tenant)` to move data keys onto it."
            }
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap a tenant's data keys under its primary tenant key; no data is re-encrypted.")

        @OptionGroup var options: InstallationOptions
        @Option(help: "The tenant whose data keys to re-wrap.") var tenant: String

        struct Result: Encodable {
            let tenant: String
            let rewrapped: Int
            let primaryVersion: UInt32
        }

        func run() async throws {
            try await options.run {
                let (count, primary) = try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.rewrapDataKeys(TenantID(tenant))
                }
                return Result(tenant: tenant, rewrapped: count, primaryVersion: primary)
            } text: {
                "Tenant \($0.tenant): re-wrapped \($0.rewrapped) data keys under tenant key version \($0.primaryVersion)."
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy an old tenant key version that no data key depends on any more.")

        @OptionGroup var options: InstallationOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The tenant key version to retire.") var version: UInt32

        struct Result: Encodable {
            let tenant: String
            let retiredVersion: UInt32
        }

        func run() async throws {
            try await options.run {
                try await options.withInstallation(defaultRole: .administrator) {
                    try await $0.retireTenantKey(TenantID(tenant), version: version)
                }
                return Result(tenant: tenant, retiredVersion: version)
            } text: {
                "Tenant \($0.tenant): tenant key version \($0.retiredVersion) retired and destroyed."
            }
        }
    }
}
