import ArgumentParser
import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultPostgres
import MemVaultSQLite

/// Where the data (a folder, or a PostgreSQL database) and its master key are, and how to print. Every command
/// that touches the data.
struct FolderOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The data folder (default: $MEMVAULT_DATA, else ./memvault-data).", valueName: "dir"))
    var data: String?

    @Option(
        help: ArgumentHelp(
            "Keep everything in this PostgreSQL database instead of a data folder (default: $MEMVAULT_POSTGRES), "
                + "e.g. postgres://memvault@127.0.0.1:5432/memvault (docs/postgres.md).", valueName: "url"))
    var postgres: String?

    @Option(
        name: .customLong("postgres-keys"),
        help: ArgumentHelp(
            "The PostgreSQL database of the key store, if not the --postgres one (default: $MEMVAULT_POSTGRES_KEYS): "
                + "one whose WAL is not archived, so destroyed keys leave no copies (docs/postgres.md).",
            valueName: "url"))
    var postgresKeys: String?

    @Option(
        name: .customLong("postgres-server"),
        help: ArgumentHelp(
            "Another PostgreSQL server tenants can be placed on, as NAME=URL; repeat for each (default: "
                + "$MEMVAULT_POSTGRES_SERVERS, space-separated). Every MemVault server is given the same ones.",
            valueName: "name=url"))
    var postgresServers: [String] = []

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "The master key file (default: MEMVAULT_MASTER_KEY if set, else a file named after the installation in "
                + "$MEMVAULT_KEY_DIR, else ~/.config/memvault/keys).", valueName: "path"))
    var keyFile: String?

    @OptionGroup var output: OutputOptions

    var json: Bool { output.json }

    var dataPath: String {
        data ?? ProcessInfo.processInfo.environment["MEMVAULT_DATA"] ?? "./memvault-data"
    }

    var masterKeySource: MasterKeySource {
        .resolve(keyFile: keyFile, environment: ProcessInfo.processInfo.environment)
    }

    /// The PostgreSQL database to use instead of the data folder: `--postgres`, else `$MEMVAULT_POSTGRES` unless
    /// `--data` names a folder.
    var postgresURL: PostgresURL? {
        get throws {
            if let postgres {
                guard data == nil else { throw ValidationError("give --data or --postgres, not both") }
                return try PostgresURL(postgres)
            }
            guard data == nil, let text = ProcessInfo.processInfo.environment["MEMVAULT_POSTGRES"], !text.isEmpty
            else { return nil }
            return try PostgresURL(text)
        }
    }

    /// The key store's database, if apart from the `--postgres` one.
    var postgresKeysURL: PostgresURL? {
        get throws {
            let text = postgresKeys ?? ProcessInfo.processInfo.environment["MEMVAULT_POSTGRES_KEYS"]
            guard let text, !text.isEmpty else { return nil }
            return try PostgresURL(text)
        }
    }

    /// The PostgreSQL servers tenants are placed on: the `--postgres` database (`primary`) and the named others.
    func postgresServers(primary: PostgresURL) throws -> PostgresServers {
        let entries =
            postgresServers.isEmpty
            ? (ProcessInfo.processInfo.environment["MEMVAULT_POSTGRES_SERVERS"] ?? "").split(separator: " ")
                .map(String.init)
            : postgresServers
        return try PostgresServers(primary: primary, entries: entries)
    }

    func openInstallation() throws -> Installation {
        try Installation.open(at: dataPath, masterKey: masterKeySource)
    }

    /// Refuses while `MEMVAULT_SERVER` is set: a command that can only act on a data folder must not act on one
    /// when the user means a server.
    static func refuseWhileServing() throws {
        if let server = ProcessInfo.processInfo.environment["MEMVAULT_SERVER"], !server.isEmpty {
            throw ValidationError(
                "MEMVAULT_SERVER is set, but this command acts on a data folder only (the server does its work "
                    + "itself); unset MEMVAULT_SERVER to run it on --data")
        }
    }
}

/// `--json`, for every command.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text (JSON lines for streams); errors too.")
    var json = false

    /// Runs `body`, printing its result as JSON or text, and any error in the same format with a non-zero exit.
    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        let result: Result
        do { result = try await body() } catch { try fail(error) }
        print(json ? try JSONOutput.encode(result) : text(result))
    }

    func fail(_ error: any Error) throws -> Never {
        let (code, message) = ErrorDocument.describe(error)
        if json {
            print(try JSONOutput.encode(ErrorDocument(error: .init(code: code, message: message))))
        } else {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        }
        throw ExitCode.failure
    }
}

/// How a command that opens the store opens it.
struct StoreOptions: ParsableArguments {
    @OptionGroup var folder: FolderOptions

    @Option(
        help: ArgumentHelp(
            "SQLite durability: normal (survives process crashes) or full (also power loss; an fsync per commit).",
            valueName: "mode"))
    var synchronous: SQLiteConfiguration.Synchronous = .normal

    @Option(help: ArgumentHelp("The policies folder (default: $MEMVAULT_POLICIES, else ./Policies).", valueName: "dir"))
    var policies: String?

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "Log to standard error from this level: trace, debug, info, notice, warning, error or critical "
                + "(default: $MEMVAULT_LOG_LEVEL, else warning). Logs carry ids, counts and codes, never content.",
            valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level takes one of: " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    var logger: Logger {
        var logger = Logger(label: "memvault", factory: { StreamLogHandler.standardError(label: $0) })
        let level = logLevel ?? ProcessInfo.processInfo.environment["MEMVAULT_LOG_LEVEL"]
        logger.logLevel = level.flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    var json: Bool { folder.json }
    var output: OutputOptions { folder.output }

    var policyRegistry: PolicyRegistry {
        let environment = ProcessInfo.processInfo.environment
        return PolicyRegistry(folder: URL(filePath: policies ?? environment["MEMVAULT_POLICIES"] ?? "Policies"))
    }

    /// The store, open for the duration of `body`, then closed with its installation. With `MEMVAULT_SERVER` set,
    /// a command that can only act on a data folder refuses rather than act on one silently (`serve` excepted).
    func withStore<T>(serving: Bool = false, _ body: (MemoryStore) async throws -> T) async throws -> T {
        if !serving { try FolderOptions.refuseWhileServing() }
        let (store, closeInstallation) = try await openStore()
        do {
            let result = try await body(store)
            try await store.close()
            try closeInstallation()
            return result
        } catch {
            try? await store.close()
            try? closeInstallation()
            throw error
        }
    }

    /// The store on the data folder, or on PostgreSQL if `--postgres` names a database, with what closes its
    /// installation after the store.
    private func openStore() async throws -> (MemoryStore, () throws -> Void) {
        if let url = try folder.postgresURL {
            let servers = try folder.postgresServers(primary: url)
            let installation = try PostgresInstallation.open(
                url: url, keyStore: try folder.postgresKeysURL, masterKey: folder.masterKeySource)
            do {
                let store = try await MemoryStore.open(
                    installation, servers: servers, policies: policyRegistry, logger: logger)
                return (store, installation.close)
            } catch {
                installation.close()
                throw error
            }
        }
        let installation = try folder.openInstallation()
        var sqlite = SQLiteConfiguration()
        sqlite.synchronous = synchronous
        do {
            let store = try await MemoryStore.open(
                installation, policies: policyRegistry, sqlite: sqlite, logger: logger)
            return (store, installation.close)
        } catch {
            try? installation.close()
            throw error
        }
    }

    /// The store of one tenant for `context`, open for the duration of `body`.
    func withTenant<T>(
        _ tenant: String, as context: AccessContext, _ body: (TenantStore) async throws -> T
    ) async throws -> T {
        let tenant = try TenantID(tenant)
        return try await withStore { store in try await body(try await store.tenant(tenant, as: context)) }
    }

    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        try await output.run(body, text: text)
    }

    func fail(_ error: any Error) throws -> Never { try output.fail(error) }
}

/// Who is acting: the role and credential id. On the command line these stand in for the credential a server takes
/// them from; whoever holds the master key can act in any role.
struct AccessOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The role to act in: \(Role.allCases.map(\.rawValue).joined(separator: ", ")) (default: this command's).",
            valueName: "role"))
    var role: Role?

    @Option(
        help: ArgumentHelp(
            "The credential id recorded in the audit log (default: cli:$USER): letters, digits, '.', '_', ':', '-'.",
            valueName: "id"))
    var actor: String?

    func context(defaultRole: Role, purpose: String? = nil) -> AccessContext {
        AccessContext(actor: actor ?? Self.defaultActor, role: role ?? defaultRole, purpose: purpose)
    }

    /// `cli:` and the user name, if it is a well-formed actor id; else `cli:operator`.
    static var defaultActor: String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ""
        let candidate = "cli:\(user)"
        return (try? ActorID.validate(candidate)) != nil && !user.isEmpty ? candidate : "cli:operator"
    }
}

/// The purpose of a request that processes personal data, which the tenant's policy must declare.
struct PurposeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The purpose of the request, as the tenant's policy declares it (e.g. personalisation).",
            valueName: "purpose"))
    var purpose: String?
}

struct ErrorDocument: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }

    let error: Detail

    static func describe(_ error: any Error) -> (code: String, message: String) {
        switch error {
        case let error as MemVaultError: (error.code.name, error.message)
        case let error as ValidationError: ("invalid_argument", error.message)
        // Crypto and storage errors carry no secrets by construction; still, report them under one code.
        default: ("internal_error", String(describing: error))
        }
    }
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
    static func format(_ date: Date) -> String { ISO8601Milliseconds.format(date) }

    static func parse(_ text: String, option: String) throws -> Date {
        if let date = ISO8601Milliseconds.parse(text) { return date }
        throw ValidationError("\(option): '\(text.prefix(40))' is not an ISO 8601 time such as 2026-11-21T10:00:00Z")
    }
}

/// `--server URL`: act through a running server with the credential in `MEMVAULT_API_KEY` instead of on a data
/// folder with the master key.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A running MemVault server to act through (default: $MEMVAULT_SERVER), with the credential in "
                + "$MEMVAULT_API_KEY; tenant and role then come from the credential.", valueName: "url"))
    var server: String?

    /// The client for the server, if one is given; nil to act on the data folder.
    func client(purpose: String?) throws -> APIClient? {
        let environment = ProcessInfo.processInfo.environment
        guard let address = server ?? environment["MEMVAULT_SERVER"] else { return nil }
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--server takes an http:// or https:// URL, e.g. http://127.0.0.1:8080")
        }
        guard let token = environment["MEMVAULT_API_KEY"], !token.isEmpty else {
            throw ValidationError("--server needs a credential in MEMVAULT_API_KEY (memvault credential create)")
        }
        return APIClient(base: url, token: token, purpose: purpose)
    }

    /// The tenant's operations for `body`: through the server if one is given, else on the data folder as `context`.
    func withTenant<T>(
        _ tenant: String, store: StoreOptions, access: AccessOptions, context: AccessContext,
        _ body: (any TenantOperations & PortabilityOperations) async throws -> T
    ) async throws -> T {
        guard let client = try remote(purpose: context.purpose, access: access) else {
            return try await store.withTenant(tenant, as: context, body)
        }
        return try await body(try await RemoteTenant.connect(client, tenant: tenant))
    }

    /// The installation's operations for `body`: through the server if one is given, else on the data folder as
    /// `context`.
    func withInstallation<T>(
        store: StoreOptions, access: AccessOptions, context: AccessContext,
        _ body: (any InstallationOperations) async throws -> T
    ) async throws -> T {
        guard let client = try remote(purpose: context.purpose, access: access) else {
            return try await store.withStore { try await body(LocalInstallation(store: $0, context: context)) }
        }
        return try await body(RemoteInstallation(client: client))
    }

    private func remote(purpose: String?, access: AccessOptions) throws -> APIClient? {
        guard let client = try client(purpose: purpose) else { return nil }
        guard access.role == nil, access.actor == nil else {
            throw ValidationError("with --server the role and actor come from the credential: drop --role and --actor")
        }
        return client
    }
}

/// The options of commands on the installation (tenants, credentials, keys, audit logs): the store (or a server)
/// and who is acting.
struct InstallationOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var access: AccessOptions
    @OptionGroup var serverOptions: ServerOptions

    var json: Bool { store.json }

    /// The installation for `body`, acting in `defaultRole` unless `--role` says otherwise (on a data folder).
    func withInstallation<T>(
        defaultRole: Role, purpose: String? = nil, _ body: (any InstallationOperations) async throws -> T
    ) async throws -> T {
        try await serverOptions.withInstallation(
            store: store, access: access, context: access.context(defaultRole: defaultRole, purpose: purpose), body)
    }

    /// Refuses a server (`--server`, `MEMVAULT_SERVER`): `command` acts on the database servers themselves.
    func refuseServer(_ command: String) throws {
        if try serverOptions.client(purpose: nil) != nil {
            throw ValidationError("`memvault \(command)` works on the database with --postgres, not through a server")
        }
    }

    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        try await store.run(body, text: text)
    }

    func fail(_ error: any Error) throws -> Never { try store.fail(error) }
}

/// The options of commands on a tenant's subjects, cubes, memories, consent and holds: the store (or a server), who
/// is acting (application by default) and the purpose, which the tenant's policy must declare.
struct TenantDataOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var access: AccessOptions
    @OptionGroup var purposeOptions: PurposeOptions
    @OptionGroup var serverOptions: ServerOptions

    var json: Bool { store.json }

    /// The tenant's operations for `body`: through the server if one is given (its credential decides the role),
    /// else on the data folder, acting in `defaultRole` unless `--role` says otherwise.
    func withOperations<T>(
        _ tenant: String, defaultRole: Role = .application,
        _ body: (any TenantOperations & PortabilityOperations) async throws -> T
    ) async throws -> T {
        try await serverOptions.withTenant(
            tenant, store: store, access: access,
            context: access.context(defaultRole: defaultRole, purpose: purposeOptions.purpose), body)
    }

    /// The tenant's store on the data folder, for commands that need one (the indexer, retention sweeps), acting
    /// in `defaultRole` unless `--role` says otherwise.
    func withTenant<T>(
        _ tenant: String, defaultRole: Role = .application, _ body: (TenantStore) async throws -> T
    ) async throws -> T {
        if try serverOptions.client(purpose: nil) != nil {
            throw ValidationError("this command works on a data folder; the server does it itself or over its API")
        }
        return try await store.withTenant(
            tenant, as: access.context(defaultRole: defaultRole, purpose: purposeOptions.purpose), body)
    }

    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        try await store.run(body, text: text)
    }

    func fail(_ error: any Error) throws -> Never { try store.fail(error) }
}
