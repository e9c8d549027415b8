import ArgumentParser
import Foundation
import MemVault
import MemVaultPolicy

struct ModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Memory modules: signed, read-only shared cubes published by one tenant and installed by others.",
        discussion: """
            A publisher packs a tenant-shared cube as a module (name, version, license) signed with its tenant's key; \
            a tenant trusts the publisher's key (`module trust`, the signer `memvault keys recipient` shows) and \
            installs the module as a read-only shared cube. `upgrade` installs a new version beside the old one and \
            switches in one unit of work; `uninstall` removes it, leaving nothing in the files. These commands act \
            as the administrator unless --role says otherwise; each is recorded in the tenant's audit log.
            """,
        subcommands: [Pack.self, Sign.self, Trust.self, Install.self, Upgrade.self, Uninstall.self, List.self])

    struct Written: Encodable {
        let output: String
        let bytes: Int
        let name: String
        let version: String
        let signer: String
        let contentHash: String
    }

    static func written(_ bundle: ExportedBundle, to output: String) throws -> Written {
        try PrivateFile.write(bundle.bytes, to: output)
        return Written(
            output: output, bytes: bundle.bytes.count, name: bundle.manifest.module?.name ?? "",
            version: bundle.manifest.module?.version ?? "", signer: bundle.manifest.signer,
            contentHash: bundle.manifest.contentHash)
    }

    static func describe(_ written: Written) -> String {
        "Module \(written.name) \(written.version) written to \(written.output) (\(written.bytes) bytes), signed by "
            + "\(written.signer)"
    }

    static func describe(_ cube: MemCube) -> String {
        "\(cube.module?.name ?? "?") \(cube.module?.version ?? "?")  \(cube.id)  license \(cube.module?.license ?? "?")"
            + "  publisher \(cube.module?.publisher.prefix(16) ?? "")…"
    }

    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a tenant-shared cube as a module signed with the tenant's key.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The tenant-shared cube (cube_…).") var cube: String
        @Option(help: "The module's name (a-z, 0-9, '-', '_', '.').") var name: String
        @Option(help: "Its version, e.g. 1.0.0.") var version: String
        @Option(help: "Its license, e.g. CC-BY-4.0.") var license: String
        @Option(help: "The file to write; it must not exist.") var output: String

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant, defaultRole: .administrator) { store in
                    try ModuleCommand.written(
                        try await store.packModule(try CubeID(cube), name: name, version: version, license: license),
                        to: output)
                }
            } text: {
                ModuleCommand.describe($0)
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a module (verified first) with this tenant's key, vouching for it as its publisher.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant whose key signs.") var tenant: String
        @Option(help: "The file to write; it must not exist.") var output: String
        @Argument(help: "The module file.") var path: String

        func run() async throws {
            try await options.run {
                let bytes = try PrivateFile.read(path, maximumBytes: StoreLimits().maximumBundleBytes)
                return try await options.withOperations(tenant, defaultRole: .administrator) { store in
                    try ModuleCommand.written(try await store.signModule(bytes), to: output)
                }
            } text: {
                ModuleCommand.describe($0)
            }
        }
    }

    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trust a publisher's key for module installations, or stop trusting it (--revoke).")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The publisher's Ed25519 key (hex).") var publisher: String
        @Option(help: "A name for people.") var name: String
        @Flag(help: "Stop trusting it.") var revoke = false

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant, defaultRole: .administrator) {
                    try await $0.trustPublisher(key: publisher, name: name, revoke: revoke)
                }
            } text: { publisher in
                "\(publisher.isTrusted ? "Trusted" : "No longer trusted"): \(publisher.name) (\(publisher.key))"
            }
        }
    }

    /// Installs, or upgrades to, the module in `path`: the two commands differ only in that.
    static func install(
        _ options: TenantDataOptions, tenant: String, path: String, upgrade: Bool
    ) async throws {
        try await options.run {
            let bytes = try PrivateFile.read(path, maximumBytes: StoreLimits().maximumBundleBytes)
            return try await options.withOperations(tenant, defaultRole: .administrator) {
                upgrade ? try await $0.upgradeModule(bytes) : try await $0.installModule(bytes)
            }
        } text: {
            "\(upgrade ? "Upgraded to" : "Installed") \(describe($0.cube)): \($0.memories) memories"
        }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a module from a trusted publisher as a read-only shared cube.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The module file.") var path: String

        func run() async throws { try await ModuleCommand.install(options, tenant: tenant, path: path, upgrade: false) }
    }

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a new version of an installed module and switch to it in one unit of work.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The module file.") var path: String

        func run() async throws { try await ModuleCommand.install(options, tenant: tenant, path: path, upgrade: true) }
    }

    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an installed module with every memory, leaving nothing in the files.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The module's name.") var name: String

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant, defaultRole: .administrator) {
                    try await $0.uninstallModule(name)
                }
            } text: {
                "Uninstalled \(ModuleCommand.describe($0))"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installed modules and trusted publishers.")

        @OptionGroup var options: TenantDataOptions
        @Option(help: "The tenant.") var tenant: String

        struct Result: Encodable {
            let modules: [MemCube]
            let publishers: [TrustedPublisher]
        }

        func run() async throws {
            try await options.run {
                try await options.withOperations(tenant, defaultRole: .administrator) { store in
                    Result(modules: try await store.modules(), publishers: try await store.trustedPublishers())
                }
            } text: { result in
                (result.modules.map(ModuleCommand.describe)
                    + result.publishers.map {
                        "publisher \($0.name) \($0.key)" + ($0.isTrusted ? "" : " (no longer trusted)")
                    }).joined(separator: "\n")
            }
        }
    }
}
