import ArgumentParser
import Foundation
import MemVault
import MemVaultPolicy

/// Options every command takes: where the data is, where the master key is, and how to print.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The data folder (default: $MEMVAULT_DATA, else ./memvault-data).", valueName: "dir"))
    var data: String?

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "The master key file (default: DATA/master.key unless MEMVAULT_MASTER_KEY is set).", valueName: "path"))
    var keyFile: String?

    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "SQLite durability: normal (survives process crashes) or full (also power loss; an fsync per commit).",
            valueName: "mode"))
    var synchronous: SQLiteConfiguration.Synchronous = .normal

    @Option(help: ArgumentHelp("The policies folder (default: $MEMVAULT_POLICIES, else ./Policies).", valueName: "dir"))
    var policies: String?

    @Option(help: ArgumentHelp(GlobalOptions.roleHelp))
    var role: Role?

    static let roleHelp =
        "The role to act in: \(Role.allCases.map(\.rawValue).joined(separator: ", ")) "
        + "(default: application; auditor for audit commands)."

    @Option(help: "The purpose of the request, as declared in the tenant's policy (e.g. personalisation).")
    var purpose: String?

    @Option(help: "The credential id recorded with consent changes and holds (default: cli:$USER).")
    var actor: String?

    var dataPath: String {
        data ?? ProcessInfo.processInfo.environment["MEMVAULT_DATA"] ?? "./memvault-data"
    }

    var masterKeySource: Installation.MasterKeySource {
        .resolve(keyFile: keyFile, environment: ProcessInfo.processInfo.environment)
    }

    func openInstallation() throws -> Installation {
        try Installation.open(at: dataPath, masterKey: masterKeySource)
    }

    func openStore() async throws -> MemoryStore {
        var sqlite = SQLiteConfiguration()
        sqlite.synchronous = synchronous
        return try await MemoryStore.open(openInstallation(), policies: policyRegistry, sqlite: sqlite)
    }

    var policyRegistry: PolicyRegistry {
        let environment = ProcessInfo.processInfo.environment
        return PolicyRegistry(folder: URL(filePath: policies ?? environment["MEMVAULT_POLICIES"] ?? "Policies"))
    }

    /// The access context of this invocation. A missing purpose is left for the policy to deny, with the list of
    /// purposes it declares.
    var accessContext: AccessContext { accessContext(defaultRole: .application) }

    func accessContext(defaultRole: Role) -> AccessContext {
        AccessContext(
            actor: actor ?? "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")",
            role: role ?? defaultRole,
            purpose: purpose ?? "unspecified")
    }

    /// The store of one tenant, opened for the duration of `body` and closed afterwards.
    func withTenant<T>(
        _ tenant: String, defaultRole: Role = .application, _ body: (TenantStore) async throws -> T
    ) async throws -> T {
        let tenant = try TenantID(tenant)
        let store = try await openStore()
        do {
            let result = try await body(try await store.tenant(tenant, as: accessContext(defaultRole: defaultRole)))
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Runs `body`, printing its result as JSON or text, and any error in the same format with a non-zero exit.
    func run<Result: Encodable>(_ body: () throws -> Result, text: (Result) -> String) throws {
        let result: Result
        do { result = try body() } catch { try fail(error) }
        try emit(result, text: text)
    }

    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        let result: Result
        do { result = try await body() } catch { try fail(error) }
        try emit(result, text: text)
    }

    private func emit<Result: Encodable>(_ result: Result, text: (Result) -> String) throws {
        print(json ? try JSONOutput.encode(result) : text(result))
    }

    func fail(_ error: any Error) throws -> Never {
        let (code, message) =
            switch error {
            case let error as MemVaultError: (error.code.name, error.message)
            case let error as ValidationError: ("invalid_argument", error.message)
            // Crypto and storage errors carry no secrets by construction; still, report them under one code.
            default: ("internal_error", String(describing: error))
            }
        if json {
            print(try JSONOutput.encode(ErrorDocument(error: .init(code: code, message: message))))
        } else {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        }
        throw ExitCode.failure
    }
}

struct ErrorDocument: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }

    let error: Detail
}

enum JSONOutput {
    static func encode(_ value: some Encodable, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.format(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// ISO 8601 with milliseconds, the precision MemVault stores.
enum Timestamps {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func parse(_ text: String, option: String) throws -> Date {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        throw ValidationError("\(option): '\(text.prefix(40))' is not an ISO 8601 time such as 2026-11-21T10:00:00Z")
    }
}
