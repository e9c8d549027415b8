public import Foundation
public import Logging
public import MemVault

/// A MemVault installation on PostgreSQL: the key store (`memvault_keys`), the catalog and a schema per tenant in
/// one database, and the master key, which stays with each server (a key file, or the environment): the database
/// holds only keys wrapped under it. Every server of a deployment opens the same URL with the same master key. The
/// key store may live in a database of its own (`keyStoreURL`), on a server whose WAL is not archived, so that the
/// keys erasure destroys leave no copies in the data's WAL archives and backups (docs/postgres.md).
public final class PostgresInstallation: Sendable {
    public let url: PostgresURL
    /// The database holding the key store: `url`, unless given apart.
    public let keyStoreURL: PostgresURL
    public let keys: KeyHierarchy
    /// Where the master key was read from (a file path, or an environment variable's name).
    public let masterKeyLocation: String
    private let keyStorage: PostgresKeyStorage

    private init(
        url: PostgresURL, keyStoreURL: PostgresURL, keys: KeyHierarchy, masterKeyLocation: String,
        keyStorage: PostgresKeyStorage
    ) {
        self.url = url
        self.keyStoreURL = keyStoreURL
        self.keys = keys
        self.masterKeyLocation = masterKeyLocation
        self.keyStorage = keyStorage
    }

    /// Creates the key store in the database and, unless the key comes from the environment, a new master key
    /// file (see `MasterKeySource`); `already_initialised` if the database has one.
    public static func initialise(
        url: PostgresURL, keyStore: PostgresURL? = nil, masterKey source: MasterKeySource,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> PostgresInstallation {
        let keyStore = keyStore ?? url
        let storage = try PostgresKeyStorage(url: keyStore)
        var createdKeyFile: String?
        do {
            let (provider, location, created) = try source.newInstallation(in: storage, environment: environment)
            createdKeyFile = created
            let keys = try KeyHierarchy.create(in: storage, masterKeyProvider: provider, configuration: configuration)
            return PostgresInstallation(
                url: url, keyStoreURL: keyStore, keys: keys, masterKeyLocation: location, keyStorage: storage)
        } catch {
            // A key file without its key store protects nothing.
            if let createdKeyFile { try? FileManager.default.removeItem(atPath: createdKeyFile) }
            storage.close()
            throw error
        }
    }

    /// Opens the installation in the database with its master key; another master key is refused.
    public static func open(
        url: PostgresURL, keyStore: PostgresURL? = nil, masterKey source: MasterKeySource,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configuration: KeyHierarchy.Configuration = .init()
    ) throws -> PostgresInstallation {
        let keyStore = keyStore ?? url
        let storage = try PostgresKeyStorage(url: keyStore)
        do {
            guard try KeyHierarchy.installationID(in: storage) != nil else {
                throw MemVaultError(
                    .dataFolderMissing,
                    "\(keyStore) holds no MemVault key store: run `memvault init --postgres URL`, or give the key "
                        + "store's database (--postgres-keys)")
            }
            let (provider, location) = try source.existingInstallation(in: storage, environment: environment)
            let keys = try KeyHierarchy.open(storage, masterKeyProvider: provider, configuration: configuration)
            return PostgresInstallation(
                url: url, keyStoreURL: keyStore, keys: keys, masterKeyLocation: location, keyStorage: storage)
        } catch {
            storage.close()
            throw error
        }
    }

    /// Closes the key store's connection. The hierarchy cannot be used afterwards.
    public func close() {
        keyStorage.close()
    }
}

extension MemoryStore {
    /// Opens the store of an installation on PostgreSQL. `threads`: connections this server keeps per PostgreSQL
    /// server for units of work and reads.
    /// `servers`: the PostgreSQL servers tenants are placed on (default: the installation's database alone).
    public static func open(
        _ installation: PostgresInstallation, servers: PostgresServers? = nil, policies: PolicyRegistry,
        limits: StoreLimits = StoreLimits(), threads: Int = 8, auditCheckpointInterval: UInt64 = 1_000,
        logger: Logger = Logger(label: "memvault", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> MemoryStore {
        let servers = try servers ?? PostgresServers(primary: installation.url)
        guard servers.primary.description == installation.url.description else {
            throw MemVaultError(.invalidArgument, "the primary PostgreSQL server must be the installation's database")
        }
        let backend = try await PostgresBackend(servers: servers, threads: threads, logger: logger)
        do {
            return try await open(
                keys: installation.keys, backend: backend, policies: policies, limits: limits,
                auditCheckpointInterval: auditCheckpointInterval, logger: logger, now: now)
        } catch {
            try? await backend.close()
            throw error
        }
    }
}
