import Foundation
import Logging
import MemVault
import PostgresNIO

extension PostgresURL {
    /// The same server with the database `name` (lowercase letters, digits and '_'), created if missing: for tests
    /// and the benchmark, which each work in databases of their own.
    package func database(named name: String) async throws -> PostgresURL {
        guard !name.isEmpty, name.utf8.count <= 63,
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { throw MemVaultError(.invalidArgument, "'\(name.prefix(64))' is not a database name MemVault makes") }
        let workers = PostgresWorkers(url: self, threads: 1, logger: Logger(label: "memvault.postgres"))
        do {
            try await workers.run { connection in
                let exists =
                    !(try connection.rows(
                        "SELECT 1 FROM pg_database WHERE datname = \(name)", "looking for a database"
                    ).isEmpty)
                if !exists {
                    try connection.execute(
                        PostgresQuery(unsafeSQL: "CREATE DATABASE \(SQLName.quoted(name))"), "creating a database")
                }
            }
        } catch {
            await workers.shutdown()
            throw error
        }
        await workers.shutdown()
        return with(database: name)
    }

    /// The server's data directory if it is on this machine and this role may read the setting (a superuser's, as
    /// in a throwaway cluster): where the benchmark finds PostgreSQL's processes; nil otherwise.
    package func dataDirectory() async throws -> String? {
        let workers = PostgresWorkers(url: self, threads: 1, logger: Logger(label: "memvault.postgres"))
        let directory = try? await workers.run { connection in
            try connection.rows("SELECT current_setting('data_directory') AS folder", "reading the data directory")
                .first.map { try Columns($0.makeRandomAccess(), what: "data directory")["folder", as: String.self] }
        }
        await workers.shutdown()
        guard let found = directory ?? nil, FileManager.default.fileExists(atPath: found) else { return nil }
        return found
    }
}
